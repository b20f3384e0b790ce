package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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
// there is none); err is errNoBalanceCall when the provider has no balance
// call, or why it did not answer.
func readBalance(ctx context.Context, st BalanceStore, providers adapters.Registry, provider string,
	timeout time.Duration, log *slog.Logger) (payout.Money, time.Time, error) {
	b, ok := providers.Balancer(provider)
	if !ok {
		return payout.Money{}, time.Time{}, errNoBalanceCall
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bal, err := b.Balance(cctx)
	at := time.Now()
	if err != nil {
		detail := err.Error()
		if balanceForbidden(err) {
			detail = "this API key may not read the balance (" + detail + "); payouts are sent without a funding " +
				"check. Give the key balance access at the provider to see it here."
		}
		log.Warn("provider balance not read", "provider", provider, "err", err)
		if rerr := st.RecordBalanceError(ctx, provider, detail, at); rerr != nil {
			log.Warn("provider balance error not recorded", "provider", provider, "err", rerr)
		}
		return payout.Money{}, time.Time{}, err
	}
	if err := st.RecordBalance(ctx, provider, bal, at); err != nil {
		log.Warn("provider balance not recorded", "provider", provider, "err", err)
	}
	return bal, at, nil
}

var errNoBalanceCall = errors.New("the provider has no balance call")

// balanceForbidden reports whether the provider refused this key its
// balance call (HTTP 403): a key allowed to send payouts but not to read
// the balance is a setting at the provider, not an outage, and nothing a
// retry changes. (401 is a key refused altogether, and stays a failure.)
func balanceForbidden(err error) bool {
	var e *adapters.Error
	return errors.As(err, &e) && e.HTTPStatus == http.StatusForbidden
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

// Run reads each balance; it fails only when none could be read of those
// the keys may read (a provider refusing the key its balance, 403, is
// recorded on the providers page and does not fail the job, so it does
// not alert every five minutes while payouts go out fine).
func (r *BalanceReader) Run(ctx context.Context) (Outcome, error) {
	var out Outcome
	forbidden := 0
	var failed []string
	for _, name := range r.Providers.Names() {
		if _, ok := r.Providers.Balancer(name); !ok {
			continue
		}
		out.Examined++
		_, _, err := readBalance(ctx, r.Store, r.Providers, name, orDuration(r.Timeout, 30*time.Second), r.Log)
		switch {
		case err == nil:
			out.Changed++
		case balanceForbidden(err):
			forbidden++
		default:
			why := err.Error()
			if !strings.HasPrefix(why, name) { // an adapter's error names its provider already
				why = name + ": " + why
			}
			failed = append(failed, why)
		}
	}
	if out.Examined > forbidden && out.Changed == 0 {
		// Each provider and why: the jobs page shows this error.
		return out, fmt.Errorf("no provider balance could be read: %s", strings.Join(failed, "; "))
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
	mu    sync.Mutex // one provider's: a slow balance call holds up that provider's payouts only
	read  bool
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
	f, ok := run.left[sub.Provider]
	if !ok {
		f = &funds{}
		run.left[sub.Provider] = f
	}
	run.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.read {
		// Read under the provider's lock: the run's other workers sending to
		// it wait for the one balance rather than each asking; those sending
		// elsewhere go on.
		bal, at, err := readBalance(ctx, s.Health, s.Providers, sub.Provider, orDuration(s.Timeout, 30*time.Second), s.Log)
		f.read, f.known, f.left, f.at = true, err == nil, bal, at
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

// giveBackFunds returns sub's amount to what is left of its provider's
// balance in this run (shortOfFunds counted it spent): the provider clearly
// refused the payout, so a later payout of the run is not held for funds
// the refused one never took.
func (s *Submitter) giveBackFunds(run *runFunds, sub store.Submission) {
	s.adjustFunds(run, sub, func(left *int64) { *left += sub.AmountMinor })
}

// noFundsLeft counts nothing left of sub's provider's balance for the rest
// of the run: the provider refused sub for insufficient funds, so the
// balance read before the run is too high, and each later payout sent
// would be refused and held one by one.
func (s *Submitter) noFundsLeft(run *runFunds, sub store.Submission) {
	s.adjustFunds(run, sub, func(left *int64) { *left = 0 })
}

// adjustFunds changes what the run counts as left of sub's provider's
// balance, under its lock, when the balance is known in sub's currency.
func (s *Submitter) adjustFunds(run *runFunds, sub store.Submission, adjust func(left *int64)) {
	if s.Health == nil {
		return
	}
	run.mu.Lock()
	f, ok := run.left[sub.Provider]
	run.mu.Unlock()
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.known && f.left.Currency == sub.Currency {
		adjust(&f.left.Minor)
	}
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
