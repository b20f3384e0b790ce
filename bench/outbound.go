package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"payops/jobs"
	"payops/outbound"
	"payops/payout"
	"payops/store"
)

// outboxLevel is the concurrency the outbox comparison posts webhooks at.
const outboxLevel = 8

// benchOutbox is benchmark 1's outbox comparison and the outbound delivery
// rate. On the running serve (jobs off), it posts webhooks at outboxLevel on
// range off with no endpoint (nothing written to the outbox), then on range
// on with one endpoint subscribed to every event (each applied webhook
// writes its payout.succeeded event); then it delivers every event the run
// wrote to a local receiver with the product's delivery job, in this
// process, and times it. It returns how, for benchmark 1's description.
func benchOutbox(ctx context.Context, c config, st *store.Store, p *payops, r *report, off, on [2]int) (string, error) {
	const bench = "1 Webhook ingestion"
	var received atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	say("benchmark 1: outbox off, %d concurrent, %s", outboxLevel, c.warmup+c.duration)
	wOff, err := postRange(ctx, c, st, p, off)
	if err != nil {
		return "", err
	}
	ep, err := st.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: rc.URL, Description: "make bench"},
		store.Actor{Name: "make bench"})
	if err != nil {
		return "", err
	}
	say("benchmark 1: outbox on, %d concurrent, %s", outboxLevel, c.warmup+c.duration)
	wOn, err := postRange(ctx, c, st, p, on)
	if err != nil {
		return "", err
	}
	ratio := wOn.perSec / wOff.perSec
	r.add(bench, fmt.Sprintf("outbox off, %d concurrent: deliveries/s", outboxLevel), fmt.Sprintf("%.0f", wOff.perSec))
	r.add(bench, fmt.Sprintf("outbox on, %d concurrent: deliveries/s", outboxLevel), fmt.Sprintf("%.0f", wOn.perSec))
	r.goal(bench, "outbox on/off", fmt.Sprintf("%.2f", ratio), "≥ 0.9", ratio >= 0.9)

	backlog, err := st.Backlog(ctx)
	if err != nil {
		return "", err
	}
	say("benchmark 1: delivering %d outbound events to a local receiver", backlog.Pending)
	job := &jobs.Outbound{Store: st, Log: slog.New(slog.DiscardHandler),
		Client: outbound.NewClient(payout.EndpointPolicy{AllowPrivate: true}, 5*time.Second)}
	start := time.Now()
	made, err := job.RunOnce(ctx)
	took := time.Since(start)
	if err != nil {
		return "", err
	}
	if left, err := st.Backlog(ctx); err != nil || left.Pending != 0 || int(received.Load()) != made {
		return "", fmt.Errorf("outbound: %d sent, %d received, %d left (%v)", made, received.Load(), left.Pending, err)
	}
	r.add(bench, "outbound deliveries/s to a local receiver", fmt.Sprintf("%.0f", float64(made)/took.Seconds()))
	how := fmt.Sprintf("**Outbound webhooks.** On the same serve, right after: %d concurrent "+
		"posts on in-flight payouts of their own with no outbound endpoint (no outbox statement runs), "+
		"then as many with one endpoint subscribed to every event (each applied webhook also writes its payout.succeeded event "+
		"and delivery, in the same transaction: one statement for a group of webhooks), %s unmeasured and %s measured each; "+
		"the outbox tables hold the seeded history's events (the payout.succeeded of each payout with history, delivered), "+
		"as a database in use does; the goal is on/off ≥ 0.9. Then the "+
		"%d deliveries the second run wrote are sent to a receiver in the bench process (204) by the product's delivery job "+
		"(jobs.Outbound, 4 workers, signing each), run in the bench process on the same database: %s.",
		outboxLevel, c.warmup, c.duration, made, took.Round(time.Millisecond))
	return how, st.SetWebhookEndpointEnabled(ctx, ep.ID, false, "make bench is over", store.Actor{Name: "make bench"})
}

// postRange posts webhooks settling the in-flight payouts of rng at
// outboxLevel and checks each settled one has its posting.
func postRange(ctx context.Context, c config, st *store.Store, p *payops, rng [2]int) (window, error) {
	ev := newEvents(benchWebhookSecret, c.payouts, rng[0], rng[1])
	running, done := p.watch(ctx)
	w, failed, err := postWebhooks(running, p.base+"/webhooks/sandbox", ev, outboxLevel, c.warmup, c.duration)
	if derr := done(); derr != nil {
		return window{}, derr
	}
	if err != nil {
		return window{}, err
	}
	if failed > 0 {
		return window{}, fmt.Errorf("%d webhooks were not answered 200 with the outbox", failed)
	}
	sent := int(ev.next.Load()) - rng[0]
	if got, err := settledIn(ctx, st, rng[0], rng[1]); err != nil || got != sent {
		return window{}, fmt.Errorf("outbox run: %d payouts settled with their posting, want %d (%v)", got, sent, err)
	}
	return w, nil
}
