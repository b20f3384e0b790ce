package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

// With the read replica down, the pages that read it say so, naming the
// replica (not "the database"), and the payout page and actions, which read
// the primary, work.
func TestReplicaDownIsSaidAsSuch(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("REPL-DOWN-1", payout.Processing, time.Hour)
	// Nothing listens on port 1.
	if err := a.store.UseReplica("postgres://payops@127.0.0.1:1/payops?sslmode=disable&connect_timeout=2"); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.login("ops@example.com")
	code, page := c.get("/payouts")
	if code != http.StatusServiceUnavailable || !strings.Contains(page, "Read replica unavailable") ||
		!strings.Contains(page, "PAYOPS_READ_DATABASE_URL") {
		t.Errorf("the list with the replica down: %d, want 503 naming the replica", code)
	}
	if code, page := c.get("/payouts/REPL-DOWN-1"); code != http.StatusOK || !strings.Contains(page, "REPL-DOWN-1") {
		t.Errorf("the payout page with the replica down: %d, want it read from the primary", code)
	}
	if code, _ := c.get("/payouts/stuck"); code != http.StatusOK {
		t.Errorf("the stuck list with the replica down: %d, want it read from the primary", code)
	}
}
