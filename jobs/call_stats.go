package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"payops/store"
)

// CallStatsStore adds counted calls to the per-minute totals.
type CallStatsStore interface {
	AddCallStats(ctx context.Context, stats []store.CallStat) error
}

// CallStats counts this instance's provider calls (an adapters.CallObserver)
// and webhook deliveries (a handlers.DeliveryCounter) per provider, minute,
// operation and outcome in memory, and adds them to the database every few
// seconds: one statement a flush, never one a call.
type CallStats struct {
	Store CallStatsStore
	Log   *slog.Logger
	Now   func() time.Time // time.Now when nil

	mu     sync.Mutex
	counts map[callKey]*store.CallStat
}

type callKey struct {
	provider, op, class string
	minute              time.Time
}

func (c *CallStats) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *CallStats) add(provider, op, class string, took time.Duration) {
	k := callKey{provider: provider, op: op, class: class, minute: c.now().UTC().Truncate(time.Minute)}
	ms := took.Milliseconds()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[callKey]*store.CallStat{}
	}
	st, ok := c.counts[k]
	if !ok {
		st = &store.CallStat{Provider: provider, Minute: k.minute, Operation: op, ErrorClass: class}
		c.counts[k] = st
	}
	st.Calls++
	st.TotalMS += ms
	st.MaxMS = max(st.MaxMS, ms)
}

// ObserveCall counts one request to a provider.
func (c *CallStats) ObserveCall(provider, operation, errorClass string, took time.Duration) {
	c.add(provider, operation, errorClass, took)
}

// Delivered counts one webhook delivery from provider by its outcome.
func (c *CallStats) Delivered(provider, outcome string) {
	c.add(provider, store.WebhookOperation, outcome, 0)
}

// Flush adds what was counted since the last flush to the database; on
// failure the counts are kept for the next one.
func (c *CallStats) Flush(ctx context.Context) error {
	c.mu.Lock()
	counts := c.counts
	c.counts = nil
	c.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	stats := make([]store.CallStat, 0, len(counts))
	for _, st := range counts {
		stats = append(stats, *st)
	}
	if err := c.Store.AddCallStats(ctx, stats); err != nil {
		c.mu.Lock()
		for k, st := range counts {
			if cur, ok := c.counts[k]; ok {
				cur.Calls += st.Calls
				cur.TotalMS += st.TotalMS
				cur.MaxMS = max(cur.MaxMS, st.MaxMS)
			} else {
				if c.counts == nil {
					c.counts = map[callKey]*store.CallStat{}
				}
				c.counts[k] = st
			}
		}
		c.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (c *CallStats) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := c.Flush(fctx); err != nil {
				c.Log.Warn("provider call counts not saved at exit", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := c.Flush(ctx); err != nil {
				c.Log.Warn("provider call counts not saved; kept for the next try", "err", err)
			}
		}
	}
}
