package jobs

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"payops/outbound"
	"payops/payout"
	"payops/store"
)

// OutboundStore is what the outbound webhook job needs of the store.
type OutboundStore interface {
	ClaimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration, skip []int64) ([]store.OutboundDelivery, error)
	ReleaseDeliveries(ctx context.Context, ids []int64, now time.Time) error
	RecordAttempt(ctx context.Context, a store.Attempt) (disabled int64, err error)
}

// OutboundSender posts one signed event (outbound.Client).
type OutboundSender interface {
	Send(ctx context.Context, url string, m outbound.Message) (outbound.Answer, error)
}

// Outbound delivers the outbox's events to the platform's endpoints, at
// least once each, in order per payout and endpoint, across instances (the
// store claims with FOR UPDATE SKIP LOCKED and a lease), retrying by
// payout.RetryDelays. Every attempt is recorded.
type Outbound struct {
	Store  OutboundStore
	Client OutboundSender
	Log    *slog.Logger
	Now    func() time.Time // the clock; time.Now when nil
	// Workers claim and send at once, each a batch after another; 4 when
	// zero. Batch is the deliveries per claim; 10 when zero.
	Workers, Batch int
	// Timeout bounds one attempt (the client's own timeout too); 5 s when zero.
	Timeout time.Duration
	// OnDisabled is called with the id of an endpoint the job has just
	// disabled for failing 3 days, to tell its owner; may be nil.
	OnDisabled func(ctx context.Context, endpointID int64)
}

// RunOnce delivers every due delivery, and returns how many attempts it
// made and the store's errors; a failed attempt is not an error.
func (o *Outbound) RunOnce(ctx context.Context) (int, error) {
	var made atomic.Int64
	errs := make([]error, or(o.Workers, 4))
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			n, err := o.drain(ctx)
			made.Add(int64(n))
			errs[i] = err
		})
	}
	wg.Wait()
	return int(made.Load()), errors.Join(errs...)
}

// Run is RunOnce for the scheduler.
func (o *Outbound) Run(ctx context.Context) (Outcome, error) {
	n, err := o.RunOnce(ctx)
	return Outcome{Examined: n, Changed: n}, err
}

func (o *Outbound) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// drain claims one batch after another until none is due; it stops at the
// store's first error. An endpoint that fails an attempt gets no other in
// this drain — its other claimed deliveries are put back, due, and later
// claims leave it out — so one endpoint that stopped answering costs one
// timeout a run, not one per waiting delivery, and holds nobody else's up.
func (o *Outbound) drain(ctx context.Context) (int, error) {
	made := 0
	batch, timeout := or(o.Batch, 10), orDuration(o.Timeout, 5*time.Second)
	failing := map[int64]bool{}
	for ctx.Err() == nil {
		// The lease outlasts sending the whole batch one after another.
		lease := time.Duration(batch)*timeout + time.Minute
		claimed, err := o.Store.ClaimDeliveries(ctx, o.now(), batch, lease, slices.Collect(maps.Keys(failing)))
		if err != nil || len(claimed) == 0 {
			return made, err
		}
		var back []int64
		for _, d := range claimed {
			// Once the run is cancelled (a deploy), the batch's rest goes
			// back at once; the one in flight finishes (deliver).
			if failing[d.EndpointID] || ctx.Err() != nil {
				back = append(back, d.ID)
				continue
			}
			delivered, err := o.deliver(ctx, d, timeout)
			if err != nil {
				return made, err
			}
			if !delivered {
				failing[d.EndpointID] = true
			}
			made++
		}
		rctx, cancel := afterCall(ctx)
		err = o.Store.ReleaseDeliveries(rctx, back, o.now())
		cancel()
		if err != nil {
			return made, err
		}
	}
	return made, ctx.Err()
}

// deliver makes one attempt and records it, reporting whether it was
// delivered.
func (o *Outbound) deliver(ctx context.Context, d store.OutboundDelivery, timeout time.Duration) (bool, error) {
	at := o.now()
	a := store.Attempt{DeliveryID: d.ID, At: at, Jitter: payout.Jitter()}
	sig, err := payout.SignWebhook(d.Secrets(at), d.WebhookID, at, []byte(d.Body))
	if err == nil {
		// Not abandoned at shutdown (bounded by timeout): an answer lost
		// would send the platform the event again.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		started := time.Now()
		var ans outbound.Answer
		ans, err = o.Client.Send(actx, d.URL, outbound.Message{ID: d.WebhookID, At: at, Signature: sig, Body: []byte(d.Body)})
		cancel()
		a.Latency, a.Status, a.Response = time.Since(started), ans.Status, ans.Body
	}
	if err != nil {
		a.Error = err.Error()
	}
	rctx, cancel := afterCall(ctx) // the answer is recorded even at shutdown
	defer cancel()
	disabled, err := o.Store.RecordAttempt(rctx, a)
	if err != nil {
		return false, err
	}
	if !a.Delivered() {
		o.Log.Info("outbound webhook not delivered", "endpoint", d.EndpointID, "webhook_id", d.WebhookID,
			"type", d.Type, "status", a.Status, "err", a.Error)
	}
	if disabled != 0 {
		o.Log.Warn("outbound webhook endpoint disabled: failing for 3 days", "endpoint", disabled)
		if o.OnDisabled != nil {
			o.OnDisabled(ctx, disabled)
		}
	}
	return a.Delivered(), nil
}
