package store_test

import (
	"context"
	"testing"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// Sign-in attempts are counted per key within the window, this one
// included; deleting takes back given rows and clears a key; old ones are
// pruned.
func TestLoginAttempts(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().Round(time.Microsecond)
	since := now.Add(-15 * time.Minute)
	add := func(at time.Time, keys ...string) ([]int64, []store.AttemptCount) {
		t.Helper()
		ids, counts, err := s.AddLoginAttempt(ctx, keys, at, since)
		if err != nil || len(ids) != len(keys) || len(counts) != len(keys) {
			t.Fatalf("add %v: %v %v %v", keys, ids, counts, err)
		}
		return ids, counts
	}
	add(now.Add(-20*time.Minute), "a", "addr") // out of the window
	add(now.Add(-10*time.Minute), "a", "addr")
	add(now.Add(-5*time.Minute), "b", "addr")
	ids, counts := add(now, "a", "addr")
	want := []store.AttemptCount{{Key: "a", Count: 2, Oldest: now.Add(-10 * time.Minute)},
		{Key: "addr", Count: 3, Oldest: now.Add(-10 * time.Minute)}}
	for i := range want {
		if got := counts[i]; got.Key != want[i].Key || got.Count != want[i].Count || !got.Oldest.Equal(want[i].Oldest) {
			t.Errorf("count %d: %+v, want %+v", i, got, want[i])
		}
	}
	if _, counts := add(now, "fresh"); counts[0].Count != 1 {
		t.Errorf("a key's first attempt counts %d, want 1", counts[0].Count)
	}
	// Success: its own rows and every row of key a go.
	if err := s.DeleteLoginAttempts(ctx, ids, "a"); err != nil {
		t.Fatal(err)
	}
	left := func(key string) int {
		var n int
		s.DB().Get(&n, `SELECT count(*) FROM login_attempts WHERE key = $1`, key)
		return n
	}
	if got := []int{left("a"), left("addr"), left("b")}; got[0] != 0 || got[1] != 3 || got[2] != 1 {
		t.Errorf("after deleting: a %d, addr %d, b %d rows; want 0, 3, 1", got[0], got[1], got[2])
	}
	if n, err := s.PruneLoginAttempts(ctx, since); err != nil || n != 1 {
		t.Errorf("pruned %d (%v), want the one out of the window", n, err)
	}
}
