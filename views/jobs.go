package views

// Jobs is the background jobs page, or one job's (/jobs/{name}, One).
type Jobs struct {
	Meta
	Rows   []JobRow
	CanRun bool
	Off    bool // this instance runs no jobs
	Notice string
	One    bool // one job's page: its runs are open
}

// JobRow is one job: its schedule, its latest run (live while it runs) and
// its last runs.
type JobRow struct {
	Name      string
	Href      string // the job's own page; its row is polled there while it runs
	Schedule  string
	Next      string
	LastStart string
	Trigger   string
	Instance  string
	Duration  string // "running for 12 s" while it runs
	Examined  int
	Changed   int
	Error     string
	Ran       bool // the job has a run: the figures are its latest's
	Running   bool
	Abandoned bool // the latest run never finished: its instance stopped
	RunURL    string
	Scheduled bool   // scheduled on this instance, so it can be run from here
	Notice    string // what Run now did, shown in the row after it
	Runs      []JobRunRow
	Open      bool // the runs list starts open
}

// JobRunRow is one run in a job's list of runs.
type JobRunRow struct {
	ID       string
	Started  string
	Trigger  string
	Instance string
	Duration string
	Examined int
	Changed  int
	State    string // ok, failed, running, abandoned
	Error    string
}
