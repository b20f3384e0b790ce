package views

// History is the history and archive page (/settings/history): what each
// history table keeps in the database, for how long, what is archived and
// where, and whether the jobs that keep it so are doing their work.
type History struct {
	Meta
	ArchiveDir string // "" when no archive folder is set: nothing is ever dropped
	Retention  string // PAYOPS_RETENTION as the page reads it
	Tables     []HistoryTableRow
	Estimated  bool // some table's rows are an estimate (≈)
	Jobs       []HistoryJob
	Archives   []ArchiveRow
}

// HistoryTableRow is one history table: its months in the database and
// what happens to them next.
type HistoryTableRow struct {
	Name      string // the table's name in the database
	Estimated bool   // Rows is PostgreSQL's estimate (≈)
	Label     string // "Webhook deliveries"
	Keeps     string // "6 months", "for ever: never archived"
	Months    int
	From      string // the oldest month kept, "2026-01"
	To        string // the newest, made ahead
	Rows      string // "≈1,204,311", "1,204" when counted
	Size      string
	// Next says which month is archived next and when: "2026-06, from
	// 2026-12-01"; Due when it is overdue (handlers.nextArchived).
	Next string
	Due  bool
	// Note is what needs someone: rows in the default partition, or the
	// coming month not made. Level is its colour ("warn", "bad").
	Note  string
	Level string
}

// HistoryJob is the last run of a job that keeps history in shape.
type HistoryJob struct {
	Name   string
	Href   string // its page; "" when it is neither scheduled here nor has run
	Does   string
	Last   string // "3 h ago: 4 examined, 2 changed", or "never run"
	Next   string // "in 5 h", or "—"
	Failed string // the last run's error
}

// ArchiveRow is one archived month.
type ArchiveRow struct {
	Month    string
	Label    string
	Table    string
	Rows     string
	Size     string
	Archived string
	File     string
	SHA256   string
	Restored string // the side table it was restored into, "" when not
}
