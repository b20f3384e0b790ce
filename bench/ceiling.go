package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/handlers"
	"payops/payout"
	"payops/store"
)

// nothingStore is a webhook store that writes nothing: every delivery is
// "applied" at once.
type nothingStore struct{ ids atomic.Int64 }

func (s *nothingStore) RecordDelivery(context.Context, store.Delivery) (int64, error) {
	return s.ids.Add(1), nil
}

func (s *nothingStore) IngestWebhook(_ context.Context, _ store.Delivery, ev store.WebhookEvent) (store.Ingested, error) {
	return store.Ingested{Outcome: store.OutcomeApplied, DeliveryID: s.ids.Add(1), PayoutRef: ev.ReferenceID}, nil
}

// benchCeiling measures what benchmark 1's rate can be at most on this
// machine whatever the database does: the webhook endpoint's own handler
// (the sandbox's signature, the send time, JSON, the log line, the answer)
// with a store that writes nothing, served in the bench process and driven
// by the same load generator at level concurrent posts. Its HTTP server is
// the standard library's, as serve's; serve's middleware (metrics, request
// ids) is left out, so the figure is an upper bound.
func benchCeiling(ctx context.Context, c config, payouts, level int) (window, error) {
	logf, err := os.Create(filepath.Join(c.work, "ceiling.log"))
	if err != nil {
		return window{}, err
	}
	defer logf.Close()
	h := &handlers.Webhooks{Store: &nothingStore{}, Log: slog.New(slog.NewJSONHandler(logf, nil)),
		Providers: adapters.Registry{payout.SandboxProvider: nxtbanking.NewClient(nxtbanking.Config{Name: payout.SandboxProvider,
			BaseURL: "http://127.0.0.1:9", APIKey: "bench", APISecret: "bench", WebhookSecret: benchWebhookSecret,
			Classify: sandbox.ClassifyFailure, Balance: true})}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{provider}", h.Receive)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return window{}, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	ev := newEvents(benchWebhookSecret, payouts, 0, payouts/10*3)
	ev.wrap = true
	w, failed, err := postWebhooks(ctx, "http://"+ln.Addr().String()+"/webhooks/sandbox", ev, level, c.warmup, c.duration)
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d posts to the endpoint without its database were not answered 200", failed)
	}
	return w, err
}
