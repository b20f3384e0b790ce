package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// HealthStore is what the submission worker keeps of a provider's health:
// its breaker and its balance. nil on a Submitter leaves both out.
type HealthStore interface {
	RecordProviderOutcome(ctx context.Context, provider string, transient bool, detail string, b store.Breaker) error
	ReleaseProbe(ctx context.Context, provider string) error
	BalanceStore
}

// BalanceStore keeps the balances read from providers.
type BalanceStore interface {
	RecordBalance(ctx context.Context, provider string, bal payout.Money, at time.Time) error
	RecordBalanceError(ctx context.Context, provider, detail string, at time.Time) error
}

// readBalance asks provider for its balance and keeps the answer (or why
// there is none); ok is false when the provider has no balance call or did
// not answer.
func readBalance(ctx context.Context, st BalanceStore, providers adapters.Registry, provider string,
	timeout time.Duration, log *slog.Logger) (payout.Money, time.Time, bool) {
	b, ok := providers.Balancer(provider)
	if !ok {
		return payout.Money{}, time.Time{}, false
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bal, err := b.Balance(cctx)
	at := time.Now()
	if err != nil {
		log.Warn("provider balance not read", "provider", provider, "err", err)
		if rerr := st.RecordBalanceError(ctx, provider, err.Error(), at); rerr != nil {
			log.Warn("provider balance error not recorded", "provider", provider, "err", rerr)
		}
		return payout.Money{}, time.Time{}, false
	}
	if err := st.RecordBalance(ctx, provider, bal, at); err != nil {
		log.Warn("provider balance not recorded", "provider", provider, "err", err)
	}
	return bal, at, true
}

// BalanceReader reads every provider's balance that has a balance call, so
// the providers page and the balance_low notice stay current between
// submission batches.
type BalanceReader struct {
	Store     BalanceStore
	Providers adapters.Registry
	Log       *slog.Logger
	Timeout   time.Duration // per call; 30 s when zero
}

// Run reads each balance; it fails only when none could be read.
func (r *BalanceReader) Run(ctx context.Context) (Outcome, error) {
	var out Outcome
	for _, name := range r.Providers.Names() {
		if _, ok := r.Providers.Balancer(name); !ok {
			continue
		}
		out.Examined++
		if _, _, ok := readBalance(ctx, r.Store, r.Providers, name, orDuration(r.Timeout, 30*time.Second), r.Log); ok {
			out.Changed++
		}
	}
	if out.Examined > 0 && out.Changed == 0 {
		return out, errors.New("no provider balance could be read")
	}
	return out, nil
}

// runFunds is one submission run's view of the providers' balances: read
// once, before the run's first payout to the provider, then spent down by
// each payout sent, so a batch never sends more than the balance.
type runFunds struct {
	mu   sync.Mutex
	left map[string]*funds
}

type funds struct {
	known bool // false when the provider has no balance call or did not answer: payouts go as before
	left  payout.Money
	at    time.Time
}

// shortOfFunds returns the funding gate's failed evaluation when sub's
// amount is more than what is left of its provider's balance, or nil to
// send it (counting its amount as spent).
func (s *Submitter) shortOfFunds(ctx context.Context, run *runFunds, sub store.Submission) *payout.Evaluation {
	if s.Health == nil {
		return nil
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	f, ok := run.left[sub.Provider]
	if !ok {
		// Read under the lock: the run's other workers wait for the one
		// balance rather than each asking.
		bal, at, known := readBalance(ctx, s.Health, s.Providers, sub.Provider, orDuration(s.Timeout, 30*time.Second), s.Log)
		f = &funds{known: known, left: bal, at: at}
		run.left[sub.Provider] = f
	}
	amount := payout.Money{Minor: sub.AmountMinor, Currency: sub.Currency}
	if !f.known || f.left.Currency != amount.Currency {
		return nil
	}
	if amount.Minor > f.left.Minor {
		e := payout.FundingShort(amount, f.left, f.at)
		return &e
	}
	f.left.Minor -= amount.Minor
	return nil
}

// recordOutcome feeds a submission's outcome to the provider's breaker:
// only a transient failure counts against it; any answer closes it.
func (s *Submitter) recordOutcome(ctx context.Context, provider string, err error) {
	if s.Health == nil || errors.Is(err, adapters.ErrNotConfigured) {
		return
	}
	transient := adapters.KindOf(err) == adapters.Transient
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	if rerr := s.Health.RecordProviderOutcome(ctx, provider, transient, detail, s.Breaker); rerr != nil {
		s.Log.Warn("provider breaker not updated", "provider", provider, "err", rerr)
	}
}
