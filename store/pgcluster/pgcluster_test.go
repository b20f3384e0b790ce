package pgcluster

import (
	"path/filepath"
	"testing"
)

// A cluster stopped and started again comes back on the port it had, so a
// serve still running with its connection string reconnects by itself.
func TestAClusterStartedAgainKeepsItsPort(t *testing.T) {
	c, err := New(filepath.Join(t.TempDir(), "pg"), true)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Start("payops")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	again, err := c.Start("payops")
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("started again at %q, want %q", again, first)
	}
}
