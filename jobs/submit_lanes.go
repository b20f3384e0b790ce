package jobs

import (
	"context"
	"slices"
	"sync"
	"time"

	"payops/store"
)

// lanes keeps one submission run's payouts in flight by provider, so a
// provider that stops answering cannot take every worker while another
// provider's payouts wait (each call may take its whole timeout, 30 s): a
// claim passes over a provider that holds all workers but one, or whose
// oldest payout in flight has waited past stall, unless no other provider
// has a payout due. With one provider, or with every provider answering,
// every worker is used as before.
type lanes struct {
	// claimMu makes a run's claims one at a time (each a short
	// transaction; the sends go side by side), so a claim sees every
	// payout claimed before it: two workers never both take a provider's
	// last free lane, nor both fall back to a hung provider at once.
	claimMu  sync.Mutex
	mu       sync.Mutex // inFlight's: a send that ends does not wait for a claim
	most     int        // payouts in flight one provider may hold while another waits
	stall    time.Duration
	inFlight map[string]map[int64]time.Time // provider → its payouts in flight → when each was claimed
}

func newLanes(workers int, timeout time.Duration) *lanes {
	return &lanes{most: max(workers-1, 1), stall: min(timeout/2, 5*time.Second), inFlight: map[string]map[int64]time.Time{}}
}

// passOver lists the providers a claim made at now should leave to others:
// those holding as many payouts as one provider may, and those whose oldest
// payout in flight has waited past stall.
func (l *lanes) passOver(now time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for p, started := range l.inFlight {
		stalled := false
		for _, at := range started {
			stalled = stalled || now.Sub(at) > l.stall
		}
		if len(started) >= l.most || stalled {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// claim claims due payouts through claimOf, passing over the providers
// passOver names and, when that finds nothing, taking theirs after all;
// what it claims counts as in flight until done is called for it.
func (l *lanes) claim(ctx context.Context, skip []string,
	claimOf func(ctx context.Context, skip []string) ([]store.Submission, error)) ([]store.Submission, error) {
	l.claimMu.Lock()
	defer l.claimMu.Unlock()
	now := time.Now()
	busy := l.passOver(now)
	subs, err := claimOf(ctx, append(slices.Clip(skip), busy...))
	if err == nil && len(subs) == 0 && len(busy) > 0 {
		subs, err = claimOf(ctx, skip)
	}
	if err != nil {
		return nil, err // a claim that failed was rolled back: nothing of it is in flight
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, sub := range subs {
		if l.inFlight[sub.Provider] == nil {
			l.inFlight[sub.Provider] = map[int64]time.Time{}
		}
		l.inFlight[sub.Provider][sub.ID] = now
	}
	return subs, nil
}

// done ends a claimed payout's time in flight.
func (l *lanes) done(sub store.Submission) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.inFlight[sub.Provider], sub.ID)
}
