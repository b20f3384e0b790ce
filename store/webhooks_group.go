package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"payops/payout"
)

// Group commit of webhooks. With GroupWebhooks on (serve turns it on),
// IngestWebhook hands its delivery to one of a few writers instead of
// taking it in itself. A writer takes every delivery waiting when it is
// free and takes them all in with one transaction: one intake, one apply
// write, one commit for the group (ingest), each delivery answered when
// the group commits. A delivery's rows and rule are the same as alone; what
// the group saves is PostgreSQL's cost per statement and per transaction,
// most of what a webhook cost it (docs/SCALING.md). Under light load a group
// is one delivery.
//
// A group never holds two deliveries of one event, nor two naming one
// payout: such a delivery waits for the next group. Should a group still
// fail in time (two of its deliveries found to be about one payout under
// different names, a deadlock, one delivery's own error), its deliveries
// are taken in again one at a time, each with a deadline of its own, so one
// delivery's trouble is never its group's; a group or a delivery that runs
// out of time (a database that does not answer) fails with its deliveries,
// each answered 503 for its provider to send again. A delivery whose
// request has ended before a writer takes it in (the endpoint has answered
// 503) is not taken in.

// maxGroup is the most deliveries one transaction takes in.
const maxGroup = 64

// groupTimeout bounds one group's transaction, as the endpoint's deadline
// (web's machineDeadline) bounds its request.
const groupTimeout = 10 * time.Second

// ingestReq is one verified delivery about a payout's status, waiting to be
// taken in, and what became of it.
type ingestReq struct {
	ctx  context.Context // the request's
	d    Delivery
	ev   WebhookEvent
	res  Ingested
	err  error
	done chan struct{}
}

// answer sets req's outcome and wakes its sender.
func (req *ingestReq) answer(err error) {
	req.err = err
	close(req.done)
}

// errRegroup: two deliveries of one group turned out to be about one payout.
var errRegroup = errors.New("store: two deliveries of a group are about one payout")

// webhookGroups are the writers GroupWebhooks started.
type webhookGroups struct {
	reqs    chan *ingestReq
	stopped chan struct{}
	wg      sync.WaitGroup
	observe GroupObserver
}

// GroupObserver is told of every group transaction the writers run, the
// ones that fail included: how many deliveries it took in and how long it
// took, from BEGIN to the commit's answer (metrics.Groups).
type GroupObserver interface {
	ObserveGroup(deliveries int, took time.Duration)
}

// GroupWebhooks starts writers that take in webhook deliveries in groups
// (above), and returns the function that stops them once every delivery
// handed to them is answered: call it after the HTTP server has stopped.
// writers below 1 leaves deliveries taken in one at a time. observe, when
// not nil, is told of each group.
func (s *Store) GroupWebhooks(writers int, observe GroupObserver) (stop func()) {
	if writers < 1 {
		return func() {}
	}
	g := &webhookGroups{reqs: make(chan *ingestReq), stopped: make(chan struct{}), observe: observe}
	for range writers {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			s.writeGroups(g)
		}()
	}
	s.groups.Store(g)
	return func() {
		s.groups.Store(nil)
		close(g.stopped)
		g.wg.Wait()
	}
}

// handOver gives req to a writer and waits for its answer; false when the
// writers have stopped before one took it. A request that ends before a
// writer takes it is answered with its context's error.
func (g *webhookGroups) handOver(req *ingestReq) bool {
	select {
	case g.reqs <- req:
	case <-g.stopped:
		return false
	case <-req.ctx.Done():
		req.err = req.ctx.Err()
		return true
	}
	<-req.done
	return true
}

// writeGroups is one writer: it takes the deliveries waiting, in groups,
// until the writers stop.
func (s *Store) writeGroups(g *webhookGroups) {
	for {
		var waiting []*ingestReq
		select {
		case req := <-g.reqs:
			waiting = append(waiting, req)
		case <-g.stopped:
			return
		}
	more:
		for len(waiting) < maxGroup {
			select {
			case req := <-g.reqs:
				waiting = append(waiting, req)
			default:
				break more
			}
		}
		for len(waiting) > 0 {
			var group []*ingestReq
			group, waiting = apart(waiting)
			s.ingestGroup(group, g.observe)
		}
	}
}

// apart splits reqs into a group that holds no two deliveries of one event
// nor two naming one payout (by the provider's payout id or our reference),
// and the rest, in their order.
func apart(reqs []*ingestReq) (group, rest []*ingestReq) {
	seen := map[[2]string]bool{}
	for _, r := range reqs {
		keys := [][2]string{{r.d.Provider, "event " + r.ev.ID}}
		if r.ev.ProviderPayoutID != "" {
			keys = append(keys, [2]string{r.d.Provider, "payout " + r.ev.ProviderPayoutID})
		}
		if r.ev.ReferenceID != "" {
			keys = append(keys, [2]string{r.d.Provider, "ref " + r.ev.ReferenceID})
		}
		clash := false
		for _, k := range keys {
			clash = clash || seen[k]
		}
		if clash {
			rest = append(rest, r)
			continue
		}
		for _, k := range keys {
			seen[k] = true
		}
		group = append(group, r)
	}
	return group, rest
}

// ingestGroup takes in group in one transaction and answers each delivery;
// after a failure in time, one at a time (above), telling observe (when not
// nil) of each transaction. A panic fails the deliveries not answered yet,
// as it would fail a request, and the writer goes on.
func (s *Store) ingestGroup(group []*ingestReq, observe GroupObserver) {
	var live []*ingestReq
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.answer(err) // the endpoint has answered already
			continue
		}
		live = append(live, r)
	}
	defer func() {
		if p := recover(); p != nil {
			for _, r := range live {
				select {
				case <-r.done:
				default:
					r.answer(fmt.Errorf("store: taking in a webhook panicked: %v", p))
				}
			}
		}
	}()
	if len(live) == 0 {
		return
	}
	within := func(reqs []*ingestReq) error {
		start := time.Now()
		err := s.ingestWithin(reqs)
		if observe != nil {
			observe.ObserveGroup(len(reqs), time.Since(start))
		}
		return err
	}
	err := within(live)
	if err == nil || len(live) == 1 || errors.Is(err, context.DeadlineExceeded) {
		for _, r := range live {
			r.answer(err)
		}
		return
	}
	for i, r := range live {
		err := within([]*ingestReq{r})
		r.answer(err)
		if errors.Is(err, context.DeadlineExceeded) {
			// The database does not answer: the rest would wait as long.
			for _, rest := range live[i+1:] {
				rest.answer(err)
			}
			return
		}
	}
}

// ingestWithin is ingest bounded by groupTimeout.
func (s *Store) ingestWithin(reqs []*ingestReq) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := s.ingest(ctx, reqs)
	if err != nil && ctx.Err() != nil {
		// lib/pq reports the cancelled statement as PostgreSQL's error.
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// ingest takes in reqs, verified deliveries about a payout's status, in
// one transaction: intake for all, then each through the one apply rule
// (planApply), their rows written in one statement, then what follows each.
// It sets each req's res; only a database failure is an error.
func (s *Store) ingest(ctx context.Context, reqs []*ingestReq) error {
	return s.WithTx(ctx, func(q Querier) error {
		if err := keepGenericPlans(ctx, q); err != nil {
			return err
		}
		ins, err := intake(ctx, q, reqs)
		if err != nil {
			return err
		}
		applies := map[int64]bool{}
		for _, in := range ins {
			if in.New && in.Matched {
				if applies[in.ID] {
					return errRegroup
				}
				applies[in.ID] = true
			}
		}
		var r rows
		var plans []applyPlan
		for i, in := range ins {
			req, id := reqs[i], in.DeliveryID
			d := req.d
			req.res = Ingested{DeliveryID: id}
			row := func(outcome, detail string, payoutID *int64) error {
				req.res.Outcome, req.res.Detail = outcome, detail
				d.Outcome, d.Detail, d.PayoutID = outcome, detail, payoutID
				return r.delivery(id, d)
			}
			switch {
			case !in.New:
				// A duplicate: linked to whatever payout the first delivery was.
				first := in.first()
				if first == nil {
					// Its first delivery committed while intake ran: not in
					// intake's snapshot, in a new one.
					first = &firstDelivery{}
					err := q.GetContext(ctx, first, `SELECT delivery_id, payout_id FROM webhook_events
						WHERE provider = $1 AND event_id = $2`, d.Provider, req.ev.ID)
					if err != nil {
						return fmt.Errorf("store: first delivery of %s event: %w", d.Provider, err)
					}
				}
				err = row(OutcomeDuplicate, fmt.Sprintf("same event as delivery %d", first.DeliveryID), first.PayoutID)
			case !in.Matched:
				err = row(OutcomeOrphan, "no payout with this provider id or reference yet; kept and applied when it appears", nil)
			default:
				obs := req.ev.Observation
				obs.Source = payout.SourceWebhook
				if obs.Actor == "" {
					obs.Actor = d.Provider
				}
				var pl applyPlan
				if pl, err = planApply(ctx, q, in.payoutNow, obs, &id, &r); err != nil {
					return err
				}
				plans = append(plans, pl)
				pid := in.ID
				req.res.PayoutRef = in.Ref
				err = row(outcomeOf(pl.res.Decision), pl.res.Message, &pid)
			}
			if err != nil {
				return err
			}
		}
		w, err := r.write(ctx, q)
		if err != nil {
			return fmt.Errorf("store: take in webhooks: %w", mapErr(err))
		}
		// As applyTo's after, for the group: every outbound event in one
		// statement, then the rest.
		var ev payoutEvents
		for _, pl := range plans {
			pl.events(w, &ev)
		}
		if err := ev.write(ctx, q); err != nil {
			return err
		}
		for _, pl := range plans {
			if err := pl.followUps(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// keepGenericPlans makes PostgreSQL run the rest of q's transaction on
// generic plans. Added when a ledger entry's foreign key named the
// partitioned ledger_postings and PostgreSQL planned its check again for
// every row (an eighth of the database's time per applied delivery, perf,
// 2026-12-05); each month's entries now reference that month's postings
// (00070). It still pays: the outbox function's statements
// (outbox_payout_events) would otherwise be planned on every call, and a
// group of four with an endpoint cost 3.1–3.3 ms without it against
// 2.2–2.4 ms with it (BenchmarkIngestGroup). The transaction's own
// statements are already planned generically (batch.array).
func keepGenericPlans(ctx context.Context, q Querier) error {
	if _, err := q.ExecContext(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		return fmt.Errorf("store: generic plans: %w", err)
	}
	return nil
}
