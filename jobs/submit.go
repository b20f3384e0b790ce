package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// SubmitStore is what the submission worker needs of the store.
type SubmitStore interface {
	ClaimForSubmit(ctx context.Context, limit int, lease time.Duration, policy payout.Policy, skip []string) ([]store.Submission, error)
	RecordSubmitted(ctx context.Context, id int64, obs payout.Observation) (store.Applied, error)
	RecordSubmitFailure(ctx context.Context, id int64, f store.SubmitFailure) error
}

// Submitter sends QUEUED payouts to their providers. Several may run at
// once, in one process or many: each claims its payouts with FOR UPDATE SKIP
// LOCKED and a lease. The reference id is the idempotency key at the
// provider, so a payout retried after a crash between the provider's answer
// and our commit is found at the provider (its duplicate answer is resolved
// by lookup in the adapter) and never sent twice.
type Submitter struct {
	Store     SubmitStore
	Providers adapters.Registry
	Policy    payout.Policy
	Log       *slog.Logger
	// MaxAttempts is how many failed attempts a payout gets before it is
	// held for manual review; 5 when zero.
	MaxAttempts int
	Workers     int           // claiming and sending at once; 4 when zero
	Batch       int           // payouts per claim, sent one after another; 1 when zero
	Lease       time.Duration // how long a claim lasts; Batch × Timeout + 1 minute when zero
	Timeout     time.Duration // per provider call; 30 s when zero
	// Backoff is the wait before attempt n+1 after n failed;
	// ExponentialBackoff(30 s) when nil.
	Backoff func(attempt int) time.Duration
	Now     func() time.Time
	// Health, when not nil, keeps each provider's breaker (Breaker) and
	// balance: a provider with a balance call is asked before a run's first
	// payout to it, and a payout larger than what is left is held for
	// funding instead of sent.
	Health  HealthStore
	Breaker store.Breaker
}

// RunOnce claims the due payouts and sends them, Workers at a time, until
// none are left, and returns how many the providers accepted. A provider
// that stalls holds up the workers sending to it, never the last one while
// another provider's payouts are due (lanes).
func (s *Submitter) RunOnce(ctx context.Context) (int, error) {
	out, err := s.Run(ctx)
	return out.Changed, err
}

// Run is RunOnce for the scheduler: Examined counts the payouts claimed,
// Changed those the providers accepted, so a run whose sends fail (a
// provider that stopped answering) shows on the jobs page as claims without
// sends, not as a run of nothing.
func (s *Submitter) Run(ctx context.Context) (Outcome, error) {
	var claimed, sent atomic.Int64
	errs := make([]error, or(s.Workers, 4))
	run := &runFunds{left: map[string]*funds{}}
	lanes := newLanes(len(errs), orDuration(s.Timeout, 30*time.Second))
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			c, n, err := s.drain(ctx, run, lanes)
			claimed.Add(int64(c))
			sent.Add(int64(n))
			errs[i] = err
		})
	}
	wg.Wait()
	return Outcome{Examined: int(claimed.Load()), Changed: int(sent.Load())}, errors.Join(errs...)
}

// drain claims one batch after another and sends each payout in it, until
// none is due, and returns how many it claimed and how many were accepted;
// it stops at the store's first error.
func (s *Submitter) drain(ctx context.Context, run *runFunds, lanes *lanes) (claimed, sent int, err error) {
	for ctx.Err() == nil {
		// The lease outlasts sending the whole batch, and the run's balance
		// reads it may wait for first (one a provider, under one lock), so
		// no other worker claims a payout of it while this one may still be
		// sending.
		batch, timeout := or(s.Batch, 1), orDuration(s.Timeout, 30*time.Second)
		lease := time.Duration(batch)*timeout + time.Minute
		if s.Health != nil {
			lease += time.Duration(s.Providers.Balancers()) * timeout
		}
		subs, err := lanes.claim(ctx, drillOff(s.Providers), func(ctx context.Context, skip []string) ([]store.Submission, error) {
			return s.Store.ClaimForSubmit(ctx, batch, orDuration(s.Lease, lease), s.Policy, skip)
		})
		if err != nil || len(subs) == 0 {
			return claimed, sent, err
		}
		claimed += len(subs)
		for i, sub := range subs {
			ok, err := s.submit(ctx, sub, run)
			lanes.done(sub)
			if err != nil {
				for _, left := range subs[i+1:] {
					lanes.done(left)
				}
				return claimed, sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return claimed, sent, nil
}

// submit sends one claimed payout and records what came of it. The error
// is the store's; a provider failure is recorded, not returned.
func (s *Submitter) submit(ctx context.Context, sub store.Submission, run *runFunds) (bool, error) {
	// A claimed payout is sent through, whatever the run's cancellation (a
	// deploy's SIGTERM): its funds check and the call are each bounded by
	// their own timeouts, the scheduler's Stop waits for them, and what the
	// provider answered is recorded (afterCall). Abandoned midway, its
	// counted attempt would read "sent, outcome unknown" to the next claim,
	// which nobody could reject.
	live := context.WithoutCancel(ctx)
	if e := s.shortOfFunds(live, run, sub); e != nil {
		s.Log.Warn("payout held: more than the provider's balance", "payout_ref", sub.ReferenceID, "provider", sub.Provider)
		// Recorded first: the claim counted an attempt, and one left
		// unrecorded reads as "sent, outcome unknown" to the next claim,
		// though this payout never left.
		rctx, cancel := afterCall(ctx)
		defer cancel()
		if err := s.Store.RecordSubmitFailure(rctx, sub.ID, store.SubmitFailure{Attempt: sub.Attempt, Detail: e.Answer,
			Hold: payout.ReasonFunding, Evaluation: e}); err != nil {
			return false, err
		}
		// Were it the breaker's probe, the next payout probes instead.
		return false, s.Health.ReleaseProbe(ctx, sub.Provider)
	}
	obs, err := s.call(live, sub)
	ctx, cancel := afterCall(ctx)
	defer cancel()
	s.recordOutcome(ctx, sub.Provider, err)
	switch {
	case err != nil && adapters.KindOf(err) == adapters.InsufficientFunds:
		s.noFundsLeft(run, sub) // the provider says the balance read is too high: hold the rest of the run's
	case err != nil && !uncertainFailure(err):
		s.giveBackFunds(run, sub) // clearly refused: it spent nothing of the balance
	}
	if err == nil {
		obs.Source, obs.Actor = payout.SourceSystem, store.Submitter
		res, err := s.Store.RecordSubmitted(ctx, sub.ID, obs)
		if err != nil {
			return false, err
		}
		s.Log.Info("payout sent", "payout_ref", sub.ReferenceID, "provider", sub.Provider, "attempt", sub.Attempt,
			"provider_payout_id", obs.ProviderPayoutID, "status", res.To)
		return true, nil
	}
	f := s.failure(sub, err)
	s.Log.Warn("payout not sent", "payout_ref", sub.ReferenceID, "provider", sub.Provider, "attempt", sub.Attempt,
		"kind", adapters.KindOf(err), "hold", f.Hold, "err", err)
	return false, s.Store.RecordSubmitFailure(ctx, sub.ID, f)
}

func (s *Submitter) call(ctx context.Context, sub store.Submission) (payout.Observation, error) {
	return callProvider(ctx, s.Providers, sub.Provider, orDuration(s.Timeout, 30*time.Second),
		func(ctx context.Context, prov adapters.Provider) (payout.Observation, error) {
			return prov.Submit(ctx, adapters.Payout{
				ReferenceID: sub.ReferenceID,
				Amount:      payout.Money{Minor: sub.AmountMinor, Currency: sub.Currency},
				Mode:        sub.Mode, Narration: sub.Narration,
				Beneficiary: adapters.Beneficiary{Name: sub.Name, AccountNumber: sub.Account, IFSC: sub.IFSC,
					BankCode: sub.BankCode, BankName: sub.BankName},
			})
		})
}

// uncertainFailure says whether the provider may have the payout despite
// err: without a clear answer (timeout, 5xx) it may; so too when an earlier
// try of this call got none, whatever the last one says.
func uncertainFailure(err error) bool {
	return adapters.KindOf(err) == adapters.Transient || adapters.KindOf(err) == "" || adapters.AfterUnclearTry(err)
}

// failure decides what a failed submission leads to: insufficient funds is a
// funding hold (retried only after release); bad credentials, a request the
// provider refuses, or a provider payops cannot reach at all need a person
// now; anything else is retried with backoff until MaxAttempts, then held
// for manual review.
func (s *Submitter) failure(sub store.Submission, err error) store.SubmitFailure {
	detail := err.Error()
	uncertain := uncertainFailure(err)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	switch kind := adapters.KindOf(err); {
	case kind == adapters.InsufficientFunds:
		e := payout.FundingReported(detail)
		return store.SubmitFailure{Attempt: sub.Attempt, Detail: detail, Hold: payout.ReasonFunding, Evaluation: &e,
			Uncertain: uncertain}
	case kind == adapters.Credentials || kind == adapters.Request || errors.Is(err, adapters.ErrNotConfigured):
		return store.SubmitFailure{Attempt: sub.Attempt, Detail: detail, Hold: payout.ReasonManualReview,
			Uncertain: uncertain}
	case sub.Attempt >= or(s.MaxAttempts, 5):
		return store.SubmitFailure{Attempt: sub.Attempt, Detail: fmt.Sprintf("%d attempts failed; the last: %s", sub.Attempt, detail),
			Hold: payout.ReasonManualReview, Uncertain: uncertain}
	}
	backoff := s.Backoff
	if backoff == nil {
		backoff = ExponentialBackoff(30 * time.Second)
	}
	return store.SubmitFailure{Attempt: sub.Attempt, Detail: detail, RetryAt: now().Add(backoff(sub.Attempt)), Uncertain: uncertain}
}

// ExponentialBackoff waits first, then twice as long after each failure, up
// to 30 min, each wait with jitter of up to half, so payouts failing together
// do not retry together.
func ExponentialBackoff(first time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := min(first<<min(attempt-1, 16), 30*time.Minute)
		return d/2 + rand.N(d/2+1)
	}
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// drillOff lists the drill provider when it is off here: a drill's
// payouts are then another instance's to send or ask about (the one running
// the drill), and here would only fail.
func drillOff(providers adapters.Registry) []string {
	if _, err := providers.Get(payout.DrillProvider); err != nil {
		return []string{payout.DrillProvider}
	}
	return nil
}
