package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/handlers"
	"payops/payout"
	"payops/store"
)

// historyFixture is an app whose history needs someone: a month of the
// audit log archived into dir, a month of deliveries past its six months
// not archived, a row of the audit log in its default partition, next
// month's gate evaluations not made, and archive-history's last run failed.
// It returns the app, the archive, and this month, the month archived and
// the month of deliveries overdue.
func historyFixture(t *testing.T) (a *app, dir string, arch store.Archive, thisMonth, old, late time.Time) {
	t.Helper()
	dir = t.TempDir()
	retention, err := payout.ParseRetention(payout.DefaultRetention)
	if err != nil {
		t.Fatal(err)
	}
	a = newApp(t, withHistory(handlers.HistorySettings{ArchiveDir: dir, Retention: retention,
		JobRunsKept: 14 * 24 * time.Hour}))
	a.addUser("ops@example.com", payout.RoleOps)
	ctx := context.Background()
	now := time.Now().UTC()
	thisMonth = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)

	// A month of the audit log archived, and a month of deliveries past
	// its six months, not archived yet.
	old = thisMonth.AddDate(-2, 0, 0)
	db := a.store.DB()
	db.MustExec(`SELECT payops_make_partitions('audit_log', $1, $1)`, old)
	db.MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		VALUES ('api:t', 'payout.create', 'payout', 'OLD-1', $1)`, old.Add(time.Hour))
	arch, err = a.store.ArchivePartition(ctx, store.Partition{Table: "audit_log",
		Name: "audit_log_p" + old.Format("200601"), Month: old}, dir)
	if err != nil {
		t.Fatal(err)
	}
	late = thisMonth.AddDate(0, -8, 0)
	db.MustExec(`SELECT payops_make_partitions('webhook_deliveries', $1, $1)`, late)
	// A row of the audit log written for a month with no partition, and
	// next month's gate evaluations not made.
	db.MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		VALUES ('api:t', 'payout.create', 'payout', 'FAR-1', '2099-06-01')`)
	db.MustExec(`DROP TABLE IF EXISTS gate_evaluations_p` + thisMonth.AddDate(0, 1, 0).Format("200601"))
	// archive-history's last run failed.
	db.MustExec(`INSERT INTO job_runs (job, instance, trigger, started_at, finished_at, error)
		VALUES ('archive-history', 'test-1', 'schedule', now(), now(), 'archive: disk full')`)
	return a, dir, arch, thisMonth, old, late
}

// The history and archive page says, for each history table, how long it
// keeps its months, which month is archived next and when (and when that is
// overdue), rows written to a default partition, a coming month not made,
// the jobs' last runs with their failures, and every archived month with its
// file and checksum. Any signed-in user reads it.
func TestHistoryPageSaysHowHistoryIsKept(t *testing.T) {
	a, dir, arch, thisMonth, old, late := historyFixture(t)
	c := a.client()
	c.login("ops@example.com")
	code, page := c.get("/settings/history")
	if code != http.StatusOK {
		t.Fatalf("GET /settings/history: %d", code)
	}
	contains := func(id string, want ...string) {
		t.Helper()
		got := mustText(t, page, id)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("#%s says %q, want %q in it", id, got, w)
			}
		}
	}
	contains("history-archive-dir", dir, "webhook_deliveries=6m")
	contains("history-webhook_deliveries", "Webhook deliveries", "6 months", late.Format("2006-01"),
		"due since "+late.AddDate(0, 7, 0).Format("2006-01-02"))
	contains("history-audit_log", "7 years")
	contains("history-note-audit_log", "1 row in the default partition")
	contains("history-note-gate_evaluations", "Next month ("+thisMonth.AddDate(0, 1, 0).Format("2006-01")+") has no partition")
	contains("history-ledger_entries", "for ever: never archived", "never")
	contains("history-job_runs", "14 days, then pruned")
	contains("history-job-archive-history", "Failed: archive: disk full")
	contains("history-job-make-partitions", "never run")
	contains("archives", old.Format("2006-01"), "Audit log entries", arch.File, arch.SHA256)
	if _, ok := textByID(t, page, "history-note-payout_events"); ok {
		t.Error("status events have a note with nothing wrong")
	}
	if strings.Contains(mustText(t, page, "history-audit_log"), "due since") {
		t.Error("the audit log's months, kept seven years, are said to be due")
	}
}

// Without an archive folder the page says nothing is archived or dropped,
// and that no month will be: not when it would be.
func TestHistoryPageWithoutArchiveFolder(t *testing.T) {
	a := newApp(t, withHistory(handlers.HistorySettings{Retention: payout.Retention{"webhook_deliveries": 6}}))
	a.addUser("finance@example.com", payout.RoleFinance)
	c := a.client()
	c.login("finance@example.com")
	_, page := c.get("/settings/history")
	if got := mustText(t, page, "history-no-archive"); !strings.Contains(got, "PAYOPS_ARCHIVE_DIR") {
		t.Errorf("no archive folder: %q", got)
	}
	if got := mustText(t, page, "history-webhook_deliveries"); !strings.Contains(got, "never: no archive folder") {
		t.Errorf("deliveries' row without a folder: %q", got)
	}
	if got := mustText(t, page, "history-audit_log"); !strings.Contains(got, "for ever") {
		t.Errorf("the audit log, not in the retention, row: %q", got)
	}
	if got := mustText(t, page, "archives-empty"); !strings.Contains(got, "No month has been archived yet") {
		t.Errorf("empty archive list: %q", got)
	}
}
