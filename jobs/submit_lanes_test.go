package jobs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"payops/store"
)

// A provider is passed over while it holds all workers but one, or while one of its payouts has waited
// past the stall time; others are not. A failed claim leaves nothing in
// flight.
func TestLanesPassOverAProviderThatHoldsUpWorkers(t *testing.T) {
	l := newLanes(4, 30*time.Second)
	if l.most != 3 || l.stall != 5*time.Second {
		t.Fatalf("4 workers, 30 s calls: at most %d a provider, stalled after %s; want 3 and 5s", l.most, l.stall)
	}
	now := time.Now()
	l.inFlight = map[string]map[int64]time.Time{
		"full":    {1: now, 2: now, 3: now},
		"stalled": {4: now.Add(-6 * time.Second)},
		"busy":    {5: now.Add(-time.Second), 6: now},
		"idle":    {},
	}
	if got := l.passOver(now); !slices.Equal(got, []string{"full", "stalled"}) {
		t.Errorf("passed over %v; want [full stalled]", got)
	}
	if one := newLanes(1, 30*time.Second); one.most != 1 {
		t.Errorf("one worker: at most %d a provider; want 1", one.most)
	}
	l = newLanes(4, 30*time.Second)
	_, err := l.claim(context.Background(), nil, func(context.Context, []string) ([]store.Submission, error) {
		return []store.Submission{{ID: 1, Provider: "x"}}, errors.New("rolled back")
	})
	if err == nil || len(l.inFlight["x"]) != 0 {
		t.Errorf("after a failed claim: %v, in flight %v; want the error and nothing held", err, l.inFlight)
	}
}
