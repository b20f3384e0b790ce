package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// The export is the filter's entries, newest first, every cell a
// spreadsheet would take for a formula made text, account numbers masked,
// and a file that ends with its last entry.
func TestAuditCSV(t *testing.T) {
	a := newApp(t)
	a.addUser("compliance@example.com", payout.RoleCompliance)
	c := a.client()
	c.login("compliance@example.com")
	now := time.Now()
	formula := a.addAudit(now, "=cmd|' /C calc'!A0", "+payout.create", "payout", "-1",
		`{"note": "@SUM(1)", "account_number": "123456789012", "html": "<b>"}`)
	plain := a.addAudit(now, "ops@example.com", "payout.create", "payout", "P-1", `{"amount": "12.50"}`)

	code, body, h := c.do("GET", "/audit.csv", nil, nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="payops-audit-`) {
		t.Fatalf("export: %d %q %q", code, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"id", "at", "actor", "action", "entity_type", "entity_id", "details"}
	if !slices.Equal(records[0], header) {
		t.Errorf("header %v", records[0])
	}
	// The newest first: the plain entry, the formula one, compliance's sign-in.
	if len(records) != 4 || records[1][0] != plain || records[2][0] != formula || records[3][3] != "user.login" {
		t.Fatalf("records %q", records)
	}
	for _, r := range records[1:] {
		for i, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("entry %s, %s: %q is read as a formula", r[0], records[0][i], cell)
			}
		}
	}
	got := records[2]
	if got[2] != "'=cmd|' /C calc'!A0" || got[3] != "'+payout.create" || got[5] != "'-1" {
		t.Errorf("formula cells %q", got)
	}
	if want := `{"account_number":"XXXXXXXX9012","html":"<b>","note":"@SUM(1)"}`; got[6] != want {
		t.Errorf("details %q, want %q", got[6], want)
	}
	if _, err := time.Parse(time.RFC3339Nano, got[1]); err != nil {
		t.Errorf("at %q: %v", got[1], err)
	}
	if !strings.HasSuffix(body, "\n") || strings.Contains(body, "ERROR") {
		t.Errorf("the file does not end with its last entry: %q", body[max(0, len(body)-80):])
	}

	// The page's filters select the same entries.
	_, body, _ = c.do("GET", "/audit.csv?entity=payout&actor=OPS", nil, nil)
	records, err = csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) != 2 || records[1][0] != plain {
		t.Errorf("filtered export: %q %v", records, err)
	}
}

// An export the database stops part way through ends with an ERROR row,
// after the entries read before it.
func TestAuditCSVCutShort(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	// About 60 MB of CSV: more than the sockets between PostgreSQL, payops
	// and this client hold, so the query is still sending when it is cut.
	_, err := a.store.DB().Exec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		SELECT 'cli', 'user.role', 'user', g::text, jsonb_build_object('note', repeat('x', 1000))
		FROM generate_series(1, 60000) g`)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", c.base+"/audit.csv", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := csv.NewReader(bufio.NewReaderSize(resp.Body, 64<<10))
	r.FieldsPerRecord = -1 // the ERROR row has two
	for range 100 {
		if _, err := r.Read(); err != nil {
			t.Fatalf("first rows: %v", err)
		}
	}
	terminateExport(t, a)
	var last []string
	n := 100
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d rows: %v", n, err)
		}
		last, n = rec, n+1
	}
	if len(last) == 0 || last[0] != "ERROR" || !strings.Contains(last[1], "incomplete") {
		t.Errorf("the file ends with %.80q after %d rows, want an ERROR row", last, n)
	}
	if n > 60000 {
		t.Errorf("%d rows: the export was not cut", n)
	}
}

// terminateExport ends the database session that streams the export.
func terminateExport(t *testing.T, a *app) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var n int
		err := a.store.DB().GetContext(ctx, &n, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%FROM audit_log%ORDER BY id DESC'`)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no export query to end")
}
