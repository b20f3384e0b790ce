package handlers

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// HistoryStore is what the history and archive page reads.
type HistoryStore interface {
	HistoryMonths(ctx context.Context) ([]store.HistoryMonth, error)
	Archives(ctx context.Context) ([]store.Archive, error)
}

// HistorySettings are how the history tables are kept, as configured:
// PAYOPS_ARCHIVE_DIR, PAYOPS_RETENTION, and how long job runs are kept.
type HistorySettings struct {
	ArchiveDir  string // "" when nothing is archived
	Retention   payout.Retention
	JobRunsKept time.Duration
}

// historyLabels name the history tables on the pages: the payout page's
// lines about archived history, the history and archive page.
var historyLabels = map[string]string{"webhook_deliveries": "Webhook deliveries", "payout_events": "Status events",
	"audit_log": "Audit log entries", "gate_evaluations": "Gate evaluations", "job_runs": "Job runs",
	"ledger_postings": "Ledger postings", "ledger_entries": "Ledger entries"}

// historyLabel is table's label, or its name.
func historyLabel(table string) string {
	if l, ok := historyLabels[table]; ok {
		return l
	}
	return table
}

// historyJobs are the jobs that keep the history tables in shape, as the
// page lists them.
var historyJobs = []struct{ name, does string }{
	{"make-partitions", "Makes the coming months' partitions of every history table, daily."},
	{"archive-history", "Archives the months past their table's retention and drops them, daily."},
	{"prune-job-runs", "Drops the job runs older than they are kept, daily."},
}

// HistoryPage shows each history table's months in the database, how long
// it keeps them and which is archived next, the jobs that do it, and every
// archived month with its file and checksum.
func (h *Handlers) HistoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	months, err := h.Store.HistoryMonths(ctx)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	archives, err := h.Store.Archives(ctx)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u := userOf(r)
	now := h.Now()
	vm := views.History{Meta: MetaFor(r, "History and archive", "settings"), ArchiveDir: h.History.ArchiveDir,
		Retention: cmp.Or(h.History.Retention.String(), "none: every month is kept")}
	// Every job's latest run in one read, as the jobs page reads them.
	runs, err := h.Store.RecentRuns(ctx, 1)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	var archivedLast *time.Time // when archive-history's latest run started
	for _, run := range runs {
		if run.Job == "archive-history" {
			archivedLast = &run.StartedAt
		}
	}
	jobs := h.jobRows(runs, "", u)
	for _, j := range historyJobs {
		var rows []views.JobRow
		if k := slices.IndexFunc(jobs, func(row views.JobRow) bool { return row.Name == j.name }); k >= 0 {
			rows = jobs[k : k+1]
		}
		vm.Jobs = append(vm.Jobs, historyJob(j.name, j.does, rows))
	}
	for _, t := range store.HistoryTables {
		row := h.historyRow(t, monthsOf(months, t.Name), now, archivedLast)
		vm.Tables = append(vm.Tables, row)
		vm.Estimated = vm.Estimated || row.Estimated
	}
	for _, a := range slices.Backward(archives) {
		row := views.ArchiveRow{Month: a.Month.Format("2006-01"), Label: historyLabel(a.Table), Table: a.Table,
			Rows: thousands(a.Rows), Size: byteSize(a.Bytes), Archived: u.stamp(a.ArchivedAt), File: a.File,
			SHA256: a.SHA256}
		if a.RestoredTable != nil {
			row.Restored = *a.RestoredTable
		}
		vm.Archives = append(vm.Archives, row)
	}
	Render(w, r, http.StatusOK, views.HistoryPage(vm), nil)
}

// monthsOf is table's months among all (the default partition included).
func monthsOf(all []store.HistoryMonth, table string) []store.HistoryMonth {
	var out []store.HistoryMonth
	for _, m := range all {
		if m.Table == table {
			out = append(out, m)
		}
	}
	return out
}

// historyRow is table t's row: its months (oldest first, the default
// partition's among them), how long it keeps them, which is archived next,
// and what needs someone: rows in the default partition, or the coming
// month not made.
func (h *Handlers) historyRow(t store.HistoryTable, months []store.HistoryMonth, now time.Time,
	archivedLast *time.Time) views.HistoryTableRow {
	row := views.HistoryTableRow{Name: t.Name, Label: historyLabel(t.Name), From: "—", To: "—", Next: "—"}
	var rows, bytes, inDefault int64
	exact, known := true, true
	var kept []time.Time
	for _, m := range months {
		bytes += m.Bytes
		if m.Rows < 0 {
			known = false
		} else {
			rows += m.Rows
		}
		exact = exact && m.Exact
		if m.Default {
			inDefault = m.Rows
		} else {
			kept = append(kept, m.Month)
		}
	}
	row.Months, row.Size, row.Estimated = len(kept), byteSize(bytes), !known || !exact
	switch {
	case !known:
		row.Rows = "≈" + thousands(rows) + " or more"
	case exact:
		row.Rows = thousands(rows)
	default:
		row.Rows = "≈" + thousands(rows)
	}
	if len(kept) > 0 {
		row.From, row.To = kept[0].Format("2006-01"), kept[len(kept)-1].Format("2006-01")
	}
	switch {
	case t.Pruned:
		row.Keeps = "until prune-job-runs drops them"
		if days := int(h.History.JobRunsKept.Hours() / 24); days > 0 {
			row.Keeps = fmt.Sprintf("%d days, then pruned", days)
		}
	case !t.Archivable:
		row.Keeps = "for ever: never archived"
		row.Next = "never"
	default:
		row.Keeps = h.History.Retention.Keeps(t.Name)
		row.Next, row.Due = h.nextArchived(t.Name, kept, now, archivedLast)
	}
	thisMonth := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	switch next := thisMonth.AddDate(0, 1, 0); {
	case inDefault > 0:
		row.Level = "bad"
		row.Note = fmt.Sprintf("%s in the default partition: written for a month that had no partition. "+
			"They are never archived, and that month cannot be made until they are moved.", rowsInDefault(inDefault))
	case !slices.ContainsFunc(kept, thisMonth.Equal):
		row.Level = "bad"
		row.Note = "This month (" + thisMonth.Format("2006-01") + ") has no partition: its rows go to the default " +
			"partition. Run make-partitions."
	case !slices.ContainsFunc(kept, next.Equal):
		row.Level = "warn"
		row.Note = "Next month (" + next.Format("2006-01") + ") has no partition yet: make-partitions makes it ahead."
	}
	return row
}

// nextArchived says which of an archivable table's months kept (oldest
// first) is archived next and from what day, and whether it is overdue:
// archive-history (latest run started at archivedLast) ran since that day
// and left it, or has not run for two days after it. The job runs at 03:30
// in the business time zone, so a month due at midnight UTC may wait for
// most of a day without anything wrong.
func (h *Handlers) nextArchived(table string, kept []time.Time, now time.Time, archivedLast *time.Time) (string, bool) {
	if len(kept) == 0 {
		return "—", false
	}
	at, ok := h.History.Retention.DueAt(table, kept[0])
	month := kept[0].Format("2006-01")
	switch {
	case !ok:
		return "never: kept for ever", false
	case h.History.ArchiveDir == "":
		return "never: no archive folder", false
	case at.After(now):
		return month + ", from " + at.Format("2006-01-02"), false
	case archivedLast != nil && archivedLast.After(at):
		return month + ", due since " + at.Format("2006-01-02") + ": archive-history ran since and left it", true
	case now.Sub(at) > 48*time.Hour:
		return month + ", due since " + at.Format("2006-01-02") + ": archive-history has not run since", true
	}
	return month + ", due since " + at.Format("2006-01-02") + ": at archive-history's next run", false
}

// historyJob is a job's line on the history page from its row on the jobs
// page (none when it is neither scheduled here nor has run: no page to
// link to).
func historyJob(name, does string, rows []views.JobRow) views.HistoryJob {
	j := views.HistoryJob{Name: name, Does: does, Last: "never run, and not scheduled on this instance", Next: "—"}
	if len(rows) == 0 {
		return j
	}
	row := rows[0]
	j.Href, j.Next = row.Href, row.Next
	switch {
	case !row.Ran:
		j.Last = "never run"
	case row.Running:
		j.Last = "running, started " + row.LastStart
	case row.Abandoned:
		j.Last = row.LastStart + ", did not finish"
	default:
		j.Last = fmt.Sprintf("%s: %d examined, %d changed", row.LastStart, row.Examined, row.Changed)
		j.Failed = row.Error
	}
	return j
}

// rowsInDefault says how many rows a default partition holds, as counted up
// to store.DefaultCountCap: "1 row", "10,000 rows or more".
func rowsInDefault(n int64) string {
	if n >= store.DefaultCountCap {
		return countOf(int(n), "row") + " or more"
	}
	return countOf(int(n), "row")
}
