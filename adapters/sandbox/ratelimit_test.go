package sandbox

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBucket(100) // holds 10
	taken := func(at time.Time, n int) int {
		got := 0
		for range n {
			if b.take(at) {
				got++
			}
		}
		return got
	}
	steps := []struct {
		after time.Duration
		tries int
		want  int
	}{
		{0, 15, 10},                              // a full bucket, then refused
		{50 * time.Millisecond, 15, 5},           // refilled at 100 a second
		{10 * time.Second, 15, 10},               // never more than it holds
		{10 * time.Millisecond, 1, 1},            // one token every 10 ms
		{5 * time.Millisecond, 1, 0},             // half a token is none
		{6 * time.Millisecond, 1, 1},             // 1.1 tokens make one, 0.1 left
		{-time.Second, 1, 0},                     // a clock going back adds nothing
		{time.Second + 5*time.Millisecond, 1, 0}, // 0.6 tokens, counted from the latest time seen
	}
	at := t0
	for i, s := range steps {
		at = at.Add(s.after)
		if got := taken(at, s.tries); got != s.want {
			t.Errorf("step %d (+%s): %d of %d taken, want %d", i, s.after, got, s.tries, s.want)
		}
	}
	if small := newBucket(3); small.size != 1 {
		t.Errorf("a limit under 10 a second holds %v, want 1", small.size)
	}
}
