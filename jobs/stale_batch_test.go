package jobs

import "testing"

// A run's batch holds two seconds of calls at the pace when that is more
// than 200, unless Batch is set.
func TestStaleRecheckBatchKeepsUpWithThePace(t *testing.T) {
	for _, c := range []struct {
		r    StaleRecheck
		want int
	}{
		{StaleRecheck{}, 200},
		{StaleRecheck{PerSecond: 50}, 200},
		{StaleRecheck{PerSecond: 500}, 1000},
		{StaleRecheck{PerSecond: 500, Batch: 7}, 7},
	} {
		if got := c.r.batch(); got != c.want {
			t.Errorf("PerSecond %d, Batch %d: batch %d, want %d", c.r.PerSecond, c.r.Batch, got, c.want)
		}
	}
}
