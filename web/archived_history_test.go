package web_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// The evidence pack of a payout whose early history was archived says
// where that history is; a payout created after the archived month does
// not mention it.
func TestPayoutPageSaysWhereArchivedHistoryIs(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	age := 300 * 24 * time.Hour
	a.addPayout("OLD-1", payout.Succeeded, age)
	a.addPayout("NEW-1", payout.Succeeded, time.Hour)
	created := time.Now().Add(-age).UTC()
	month := time.Date(created.Year(), created.Month(), 1, 0, 0, 0, 0, time.UTC)
	a.store.DB().MustExec(`SELECT payops_make_partitions('audit_log', $1, $1)`, month)
	a.store.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		VALUES ('api:t', 'payout.create', 'payout', 'OLD-1', $1)`, created)
	dir := t.TempDir()
	part := store.Partition{Table: "audit_log", Name: "audit_log_p" + month.Format("200601"), Month: month}
	if _, err := a.store.ArchivePartition(context.Background(), part, dir); err != nil {
		t.Fatal(err)
	}

	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/payouts/OLD-1")
	got, ok := textByID(t, page, "archived-history")
	file := filepath.Join(dir, part.Name+".jsonl.gz")
	want := "Audit log entries before " + month.AddDate(0, 1, 0).Format("January 2006") + " (UTC) are archived"
	if !ok || !strings.Contains(got, want) || !strings.Contains(got, file) {
		t.Errorf("archived history says %q, want %q and %s", got, want, file)
	}
	_, page = c.get("/payouts/NEW-1")
	if _, ok := textByID(t, page, "archived-history"); ok && month.Month() != time.Now().Month() {
		t.Error("a payout created after the archived month says its history is archived")
	}

	// A month archived after the payout's last change holds at most what
	// changed nothing: one line names the later files' months and folder,
	// not each file as where its history is.
	later := month.AddDate(0, 3, 0)
	a.store.DB().MustExec(`SELECT payops_make_partitions('audit_log', $1, $1)`, later)
	a.store.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, at)
		VALUES ('api:t', 'payout.create', 'payout', 'OTHER', $1)`, later.Add(time.Hour))
	part2 := store.Partition{Table: "audit_log", Name: "audit_log_p" + later.Format("200601"), Month: later}
	if _, err := a.store.ArchivePartition(context.Background(), part2, dir); err != nil {
		t.Fatal(err)
	}
	a.store.DB().MustExec(`UPDATE payouts SET updated_at = $1, last_checked_at = NULL WHERE reference_id = 'OLD-1'`,
		created.Add(time.Hour))
	_, page = c.get("/payouts/OLD-1")
	got, _ = textByID(t, page, "archived-history")
	summary := "1 later file (" + later.Format("2006-01") + " to " + later.Format("2006-01") + ", in " + dir + ")"
	if !strings.Contains(got, want) || !strings.Contains(got, summary) || strings.Contains(got, part2.Name) {
		t.Errorf("archived history says %q, want %q in full and %q", got, want, summary)
	}
}
