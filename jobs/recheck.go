// Package jobs holds payops' background work and the re-check it shares with
// the dashboard: asking a provider for a payout's state and applying the
// answer.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// RecheckStore is what a re-check needs of the store.
type RecheckStore interface {
	PayoutByRef(ctx context.Context, ref string, m store.RefMode) (store.Payout, error)
	ApplyObservation(ctx context.Context, ref string, m store.RefMode, obs payout.Observation) (store.Applied, error)
	RecordCheckFailure(ctx context.Context, ref string, m store.RefMode, source payout.Source, actor, detail string) error
}

// Rechecker asks a payout's provider for its current state through the
// provider's adapter and applies the answer with the store's one apply
// function. The Re-check button and the cron reconciler both use it.
type Rechecker struct {
	Store     RecheckStore
	Providers adapters.Registry
	Log       *slog.Logger
	Timeout   time.Duration // for the provider call; 15 s when zero
}

// Result is what one re-check found and did.
type Result struct {
	Payout store.Payout
	// Decision is the transition rule's decision, or "" when the provider
	// could not be asked (ProviderError says why).
	Decision      payout.Decision
	Message       string
	ProviderError string
	// Unanswered is set when the provider gave no answer at all (a
	// timeout, a 5xx, refused connections): it may be down.
	Unanswered bool
}

// Recheck asks the provider about payout ref (in mode m: see
// store.RefMode) on behalf of actor and applies the answer to that payout.
// A provider failure is not an error: it is recorded as an event on the
// payout and returned in Result. The error is for the store: an unknown
// payout (store.ErrNotFound) or an unreachable database.
func (r *Rechecker) Recheck(ctx context.Context, ref string, m store.RefMode, source payout.Source, actor string) (Result, error) {
	p, err := r.Store.PayoutByRef(ctx, ref, m)
	if err != nil {
		return Result{}, err
	}
	// From here on the payout found: its mode exactly.
	mode := store.Exactly(p.Livemode)
	if p.SubmittedAt == nil && !p.OutcomeUnknown {
		// The provider has never seen it: there is nothing to ask. (One whose
		// submission got no clear answer may have it: that is asked.)
		return Result{Payout: p, Message: "not sent to " + p.Provider + " yet: nothing to ask"}, nil
	}
	obs, err := r.ask(ctx, p)
	if err != nil {
		detail := err.Error()
		r.Log.Warn("re-check failed at provider", "payout_ref", ref, "provider", p.Provider, "kind", adapters.KindOf(err), "err", detail)
		if err := r.Store.RecordCheckFailure(ctx, ref, mode, source, actor, detail); err != nil {
			return Result{}, err
		}
		p, perr := r.Store.PayoutByRef(ctx, ref, mode)
		if perr != nil {
			return Result{}, perr
		}
		// A 429 is an answer (slow down), which pacing deals with; so is a
		// refusal (credentials, a payout it does not know). err is the
		// provider's.
		kind, rateLimited := adapters.KindOf(err), false
		if e, ok := errors.AsType[*adapters.Error](err); ok && e.HTTPStatus == http.StatusTooManyRequests {
			rateLimited = true
		}
		return Result{Payout: p, Message: "could not ask the provider: " + detail, ProviderError: detail,
			Unanswered: (kind == adapters.Transient || kind == "") && !rateLimited}, nil
	}
	obs.Source, obs.Actor = source, actor
	applied, err := r.Store.ApplyObservation(ctx, ref, mode, obs)
	if err != nil {
		return Result{}, err
	}
	r.Log.Info("re-checked payout", "payout_ref", ref, "provider", p.Provider, "observed", obs.Status,
		"decision", applied.Decision, "status", applied.To)
	return Result{Payout: applied.Payout, Decision: applied.Decision, Message: applied.Message}, nil
}

func (r *Rechecker) ask(ctx context.Context, p store.Payout) (payout.Observation, error) {
	return callProvider(ctx, r.Providers, p.Provider, orDuration(r.Timeout, 15*time.Second),
		func(ctx context.Context, prov adapters.Provider) (payout.Observation, error) {
			return prov.Status(ctx, adapters.Payout{ReferenceID: p.ReferenceID, ProviderPayoutID: p.ProviderID(), Amount: p.Amount()})
		})
}

// callProvider calls the named provider within timeout; running out of
// time is a transient failure, like any other unanswered call.
func callProvider(ctx context.Context, providers adapters.Registry, name string, timeout time.Duration,
	call func(context.Context, adapters.Provider) (payout.Observation, error)) (obs payout.Observation, err error) {
	prov, err := providers.Get(name)
	if err != nil {
		return payout.Observation{}, err
	}
	// An adapter that panics fails that one call, not the process: a
	// worker goroutine's panic would end payops, and every instance that
	// claimed the payout after it. It may have sent the request: an error
	// of no kind, which submission treats as uncertain (retried, then held
	// for a person after its attempts).
	defer func() {
		if v := recover(); v != nil {
			obs, err = payout.Observation{}, fmt.Errorf("%s: the adapter panicked: %v", name, v)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	obs, err = call(ctx, prov)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return obs, &adapters.Error{Provider: name, Kind: adapters.Transient, Message: "no answer within " + timeout.String()}
	}
	return obs, err
}
