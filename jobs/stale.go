package jobs

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

// StaleStore is what the stale re-check reads.
type StaleStore interface {
	StalePayouts(ctx context.Context, changedBefore, checkedBefore time.Time, limit int, skip []string) ([]store.Payout, error)
	SettledPayouts(ctx context.Context, now, settledAfter, settledBefore, checkedBefore time.Time, limit int,
		skip []string) ([]store.Payout, error)
}

// StaleRecheck is the cron reconciler: it asks the provider about every
// sent payout QUEUED or PROCESSING with no change for After, through the
// Rechecker — the same adapter call and apply function as the Re-check
// button. Each provider has its own lane, Concurrency calls at a time and at
// most PerSecond a second, so a provider that is down or slow delays only
// its own payouts; its failures are recorded on them.
//
// RunSettled, a job of its own, asks again about payouts that succeeded
// within SettledWindow, at doubling ages (After, 2×, 4×...): a provider may
// reverse a payout hours after paying it, and that webhook too can be lost.
// With the defaults that is about ten calls per payout over two days. Apart
// from Run, so that many settled payouts never delay the open ones; each job
// keeps to PerSecond on its own.
type StaleRecheck struct {
	Store       StaleStore
	Rechecker   *Rechecker
	Log         *slog.Logger
	After       time.Duration // 2 minutes when zero
	Batch       int           // 200, or two seconds of calls at PerSecond if more, when zero
	Concurrency int           // calls in flight per provider; 2 when zero
	PerSecond   int           // calls a second per provider; 5 when zero
	// SettledWindow is how long after succeeding a payout is still asked
	// about by RunSettled; zero for never.
	SettledWindow time.Duration
	Now           func() time.Time
}

// Run re-checks every stale payout once and returns how many it examined
// and how many the provider's answer moved. The error is the database's.
func (r *StaleRecheck) Run(ctx context.Context) (Outcome, error) {
	start, after, limit := r.now(), orDuration(r.After, 2*time.Minute), r.batch()
	return r.each(ctx, func() ([]store.Payout, error) {
		return r.Store.StalePayouts(ctx, start.Add(-after), start, limit, unasked(r.Rechecker.Providers))
	})
}

// RunSettled re-checks once each succeeded payout that is due another look.
func (r *StaleRecheck) RunSettled(ctx context.Context) (Outcome, error) {
	if r.SettledWindow <= 0 {
		return Outcome{}, nil
	}
	start, after, limit := r.now(), orDuration(r.After, 2*time.Minute), r.batch()
	return r.each(ctx, func() ([]store.Payout, error) {
		// A failed ask is tried again after After, like an open payout's.
		return r.Store.SettledPayouts(ctx, start, start.Add(-r.SettledWindow), start.Add(-after), start.Add(-after), limit,
			unasked(r.Rechecker.Providers))
	})
}

// batch is how many payouts a run reads at a time. Each batch's lanes
// finish their last calls before the next is read, a pause of one call and
// one read: unless Batch says otherwise, a batch holds at least two
// seconds of calls at a provider's pace, so the pause stays a few
// hundredths of the run however fast the pace (at 500 a second, batches of
// 200 lost up to a fifth of it: make bench, benchmark 4).
func (r *StaleRecheck) batch() int {
	if r.Batch > 0 {
		return r.Batch
	}
	return max(200, 2*r.perSecond())
}

// perSecond is a provider's calls a second: PerSecond, or 5.
func (r *StaleRecheck) perSecond() int { return or(r.PerSecond, 5) }

func (r *StaleRecheck) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// each re-checks batches from next until it returns none: a payout
// re-checked drops out of the next batch.
func (r *StaleRecheck) each(ctx context.Context, next func() ([]store.Payout, error)) (Outcome, error) {
	var out Outcome
	seen := map[int64]bool{}
	// One pacer per provider for the whole run, so the pause between
	// batches is made up rather than lost.
	pacers := map[string]*pacer{}
	for ctx.Err() == nil {
		batch, err := next()
		if err != nil {
			return out, err
		}
		// A payout a re-check could not mark checked would come back in
		// every batch: each is asked about once a run, whatever happens.
		batch = slices.DeleteFunc(batch, func(p store.Payout) bool { return seen[p.ID] })
		if len(batch) == 0 {
			return out, nil
		}
		for _, p := range batch {
			seen[p.ID] = true
		}
		byProvider := map[string][]store.Payout{}
		for _, p := range batch {
			byProvider[p.Provider] = append(byProvider[p.Provider], p)
		}
		var mu sync.Mutex
		var storeErr error
		var wg sync.WaitGroup
		for provider, payouts := range byProvider {
			pace := pacers[provider]
			if pace == nil {
				pace = &pacer{interval: time.Second / time.Duration(r.perSecond()), slack: time.Second / 20}
				pacers[provider] = pace
			}
			wg.Go(func() {
				examined, changed, err := r.lane(ctx, payouts, pace)
				mu.Lock()
				defer mu.Unlock()
				out.Examined += examined
				out.Changed += changed
				if err != nil {
					storeErr = err
				}
			})
		}
		wg.Wait()
		if storeErr != nil {
			// The database, not a provider: stop; the next tick goes on.
			return out, storeErr
		}
	}
	return out, ctx.Err()
}

// pacer spaces calls interval apart. Time lost between calls (the pause
// while the next batch is read) is made up, up to slack's worth of calls at
// once: a token bucket holding a twentieth of a second, kept as the time the
// next call is due (GCRA). The provider's own limit is usually a bucket as
// deep or deeper, so the burst stays within it.
type pacer struct {
	interval, slack time.Duration
	next            time.Time
}

func (p *pacer) wait(ctx context.Context) error {
	now := time.Now()
	if earliest := now.Add(-p.slack); p.next.Before(earliest) {
		p.next = earliest
	}
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	p.next = p.next.Add(p.interval)
	return nil
}

// unansweredInARow is how many re-checks in a row a provider may leave
// unanswered before a run stops asking it: a provider that is down is not
// asked about every stale payout at each run (each waiting out a timeout);
// its payouts stay stale for the next run.
const unansweredInARow = 5

// lane re-checks one provider's payouts at the pace of its pacer, until it
// leaves unansweredInARow of them unanswered in a row.
func (r *StaleRecheck) lane(ctx context.Context, payouts []store.Payout, pace *pacer) (examined, changed int, err error) {
	sem := make(chan struct{}, or(r.Concurrency, 2))
	var mu sync.Mutex
	var wg sync.WaitGroup
	unanswered := 0
	for _, p := range payouts {
		if pace.wait(ctx) != nil {
			break
		}
		sem <- struct{}{} // the re-checks before this one have answered, or run in the others' slots
		mu.Lock()
		down := unanswered >= unansweredInARow
		mu.Unlock()
		if down {
			<-sem
			r.Log.Warn("re-checks stopped for this run: the provider answers nothing", "provider", p.Provider,
				"in_a_row", unansweredInARow)
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			res, rerr := r.Rechecker.Recheck(ctx, p.ReferenceID, store.Exactly(p.Livemode), payout.SourcePoll, "reconciler")
			mu.Lock()
			defer mu.Unlock()
			examined++
			switch {
			case rerr != nil:
				err = rerr
			case res.Unanswered:
				unanswered++
			default:
				unanswered = 0
				if res.Decision == payout.Apply {
					changed++
				}
			}
		})
	}
	wg.Wait()
	return examined, changed, err
}

// unasked lists the providers a re-check cannot ask here: the drill
// provider when it is off (drillOff), and every provider not configured —
// asking one only fails, and a run would log each as answering nothing.
// Their stale payouts wait for a webhook or a settlement report; the stuck
// list says so.
func unasked(providers adapters.Registry) []string {
	out := drillOff(providers)
	for _, name := range payout.Providers {
		if _, err := providers.Get(name); err != nil {
			out = append(out, name)
		}
	}
	return out
}
