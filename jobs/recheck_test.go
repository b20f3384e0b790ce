package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/adapters"
	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// fakeProvider answers Status with a fixed observation or error.
type fakeProvider struct {
	obs payout.Observation
	err error
}

func (f fakeProvider) Name() string { return "xendit" }
func (f fakeProvider) Status(context.Context, adapters.Payout) (payout.Observation, error) {
	return f.obs, f.err
}
func (f fakeProvider) Submit(context.Context, adapters.Payout) (payout.Observation, error) {
	return f.obs, f.err
}
func (f fakeProvider) List(context.Context, time.Time, time.Time) ([]adapters.Record, error) {
	return nil, adapters.ErrListUnsupported
}
func (f fakeProvider) Webhook(http.Header, []byte) (adapters.Event, error) {
	return adapters.Event{}, adapters.ErrSignature
}

func TestRecheck(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for _, ref := range []string{"R1", "R2", "R3", "R4", "R5"} {
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "xendit", ProviderPayoutID: "disb-" + ref,
			Amount: payout.Money{Minor: 10000, Currency: "IDR"}, Status: payout.Processing,
			Beneficiary: store.Beneficiary{Name: "Budi", AccountNumber: "9876543210", BankCode: "BCA"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	tests := []struct {
		ref       string
		providers adapters.Registry
		status    payout.Status
		message   string
		failed    bool
		// The provider gave no answer at all: the stale re-check stops
		// asking it after a few in a row.
		unanswered bool
	}{
		{"R1", adapters.Registry{}, payout.Processing, "provider not configured: xendit", true, true},
		{"R2", adapters.Registry{"xendit": fakeProvider{err: &adapters.Error{Provider: "xendit", Kind: adapters.Credentials, HTTPStatus: 401, Message: "bad key"}}},
			payout.Processing, "credentials (HTTP 401)", true, false},
		{"R3", adapters.Registry{"xendit": fakeProvider{obs: payout.Observation{RawStatus: "SUCCEEDED", Status: payout.Succeeded}}},
			payout.Succeeded, "moved to SUCCEEDED", false, false},
		{"R4", adapters.Registry{"xendit": fakeProvider{err: &adapters.Error{Provider: "xendit", Kind: adapters.Transient, HTTPStatus: 429, Message: "slow down"}}},
			payout.Processing, "HTTP 429", true, false},
		{"R5", adapters.Registry{"xendit": fakeProvider{err: &adapters.Error{Provider: "xendit", Kind: adapters.Transient, Message: "timeout"}}},
			payout.Processing, "timeout", true, true},
	}
	for _, tt := range tests {
		r := &jobs.Rechecker{Store: s, Providers: tt.providers, Log: log}
		res, err := r.Recheck(ctx, tt.ref, store.First(true), payout.SourcePoll, "reconciler")
		if err != nil {
			t.Fatalf("%s: %v", tt.ref, err)
		}
		if res.Payout.Status != tt.status || !strings.Contains(res.Message, tt.message) || (res.ProviderError != "") != tt.failed ||
			res.Unanswered != tt.unanswered {
			t.Errorf("%s: got %s %q (provider error %q, unanswered %v)", tt.ref, res.Payout.Status, res.Message,
				res.ProviderError, res.Unanswered)
		}
		events, _ := s.EventsFor(ctx, res.Payout.ID)
		if len(events) != 1 || events[0].Actor != "reconciler" || events[0].Source != payout.SourcePoll {
			t.Errorf("%s: events %+v", tt.ref, events)
		}
	}
	r := &jobs.Rechecker{Store: s, Providers: adapters.Registry{}, Log: log}
	// A payout never sent is not asked about.
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "UNSENT", Provider: "xendit",
		Amount: payout.Money{Minor: 10000, Currency: "IDR"}, Status: payout.Queued,
		Beneficiary: store.Beneficiary{Name: "Budi", AccountNumber: "9876543210", BankCode: "BCA"}}); err != nil {
		t.Fatal(err)
	}
	unsent := &jobs.Rechecker{Store: s, Providers: adapters.Registry{"xendit": fakeProvider{err: errors.New("must not be called")}}, Log: log}
	if res, err := unsent.Recheck(ctx, "UNSENT", store.First(true), payout.SourceManual, "ops"); err != nil || !strings.Contains(res.Message, "not sent") {
		t.Errorf("unsent payout: %+v %v", res, err)
	} else if events, _ := s.EventsFor(ctx, res.Payout.ID); len(events) != 0 {
		t.Errorf("unsent payout got events: %+v", events)
	}
	if _, err := r.Recheck(ctx, "NOPE", store.First(true), payout.SourceManual, "ops"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown payout: %v", err)
	}
}
