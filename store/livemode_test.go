package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// Intake sets livemode from the provider: the sandbox's and the drill
// provider's payouts are test payouts, and a read-only market does not hold
// them (they move no money).
func TestIntakeSetsLivemodeFromTheProvider(t *testing.T) {
	f := newHoldFixture(t)
	for _, c := range []struct {
		provider, market string
		live             bool
		status           payout.Status
	}{
		{"nxtbanking", "IN", true, payout.Queued},
		{"nxtbanking", "PH", true, payout.Held}, // PH is read-only in holdPolicy
		{payout.SandboxProvider, "IN", false, payout.Queued},
		{payout.DrillProvider, "PH", false, payout.Queued},
	} {
		p := f.intake(c.provider+"-"+c.market, func(r *payout.Request) { r.Provider, r.Market = c.provider, c.market })
		if p.Livemode != c.live || p.Status != c.status {
			t.Errorf("%s to %s: livemode %v, %s; want %v, %s", c.provider, c.market, p.Livemode, p.Status, c.live, c.status)
		}
	}
}

// A test payout is in none of the real views and in each test view; a live
// one the other way round.
func TestTestPayoutsStayOutOfRealViews(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	live := f.intake("LIVE-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing })
	test := f.intake("TEST-1", func(r *payout.Request) {
		r.Provider, r.Beneficiary.TaxArtifact = payout.DrillProvider, payout.TaxMissing
	})
	if !live.Livemode || test.Livemode {
		t.Fatalf("livemode: live %v, test %v", live.Livemode, test.Livemode)
	}
	// Both were created held; move them to PROCESSING an hour ago, as
	// stuck payouts, keeping their open holds for the holds views.
	s.DB().MustExec(`UPDATE payouts SET status = 'PROCESSING', updated_at = now() - interval '1 hour'`)
	before, now := time.Now().Add(-time.Minute), time.Now()

	for _, mode := range []struct {
		test bool
		want string
	}{{false, "LIVE-1"}, {true, "TEST-1"}} {
		stuck, total, err := s.StuckPayouts(ctx, store.StuckFilter{Before: before, Limit: 10, Test: mode.test})
		if err != nil || total.All != 1 || len(stuck) != 1 || stuck[0].ReferenceID != mode.want {
			t.Errorf("test %v: stuck list %d %v, want %s", mode.test, total.All, err, mode.want)
		}
		sum, err := s.StuckSummary(ctx, before, now, mode.test)
		if err != nil || len(sum) != 1 || sum[0].Count != 1 {
			t.Errorf("test %v: stuck summary %+v %v, want one", mode.test, sum, err)
		}
		counts, err := s.StatusCounts(ctx, mode.test)
		if err != nil || len(counts) != 1 || counts[0].Count != 1 {
			t.Errorf("test %v: status counts %+v %v, want one", mode.test, counts, err)
		}
		holds, nHolds, err := s.OpenHolds(ctx, store.HoldFilter{Now: now, Limit: 10, Test: mode.test})
		if err != nil || nHolds.Open != 1 || len(holds) != 1 || holds[0].ReferenceID != mode.want {
			t.Errorf("test %v: holds queue %+v %v, want %s's hold", mode.test, nHolds, err, mode.want)
		}
		hc, err := s.CountHolds(ctx, now, mode.test)
		if err != nil || hc.Open != 1 {
			t.Errorf("test %v: open holds %+v %v, want one", mode.test, hc, err)
		}
		page, err := s.FindPayouts(ctx, store.PayoutQuery{Limit: 10, Test: mode.test})
		if err != nil || len(page.Payouts) != 1 || page.Payouts[0].ReferenceID != mode.want {
			t.Errorf("test %v: payouts list %+v %v, want %s", mode.test, page.Payouts, err, mode.want)
		}
		for _, ref := range []string{"LIVE-1", "TEST-1"} {
			refs, err := s.IdentifierRefs(ctx, ref, 2, mode.test)
			if found := slices.Contains(refs, ref); err != nil || found != (ref == mode.want) {
				t.Errorf("test %v: search for %s found %v %v", mode.test, ref, refs, err)
			}
		}
		days := []time.Time{now.Add(-24 * time.Hour), now.Add(time.Hour)}
		dc, err := s.DailyCounts(ctx, days, mode.test)
		if err != nil || len(dc) != 1 || dc[0].Count != 1 {
			t.Errorf("test %v: daily counts %+v %v, want one", mode.test, dc, err)
		}
	}

	// Metrics count live payouts only.
	pc, err := s.PayoutCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range pc {
		if c.Provider == payout.DrillProvider && c.Count != 0 {
			t.Errorf("metrics count a test payout: %+v", c)
		}
		n += c.Count
	}
	if n != 1 {
		t.Errorf("metrics: %d payouts, want the live one: %+v", n, pc)
	}
	byReason, err := s.HoldCountsByReason(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, r := range byReason {
		open += r.Open
	}
	if open != 1 {
		t.Errorf("metrics: %d open holds, want the live payout's: %+v", open, byReason)
	}
}

// A payout's events go to the endpoints of its own mode: a test payout's
// never reach a live endpoint.
func TestTestPayoutsEventsGoToTestEndpoints(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	live := addEndpoint(t, s)
	test, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/test", Test: true}, admin)
	if err != nil || test.Livemode {
		t.Fatalf("test endpoint: %+v %v", test, err)
	}
	f.intake("LIVE-1", nil)
	f.intake("TEST-1", func(r *payout.Request) { r.Provider = payout.SandboxProvider })
	if got := eventTypes(t, s, live.ID); !slices.Equal(got, []string{"payout.created:LIVE-1"}) {
		t.Errorf("live endpoint: %v", got)
	}
	if got := eventTypes(t, s, test.ID); !slices.Equal(got, []string{"payout.created:TEST-1"}) {
		t.Errorf("test endpoint: %v", got)
	}
}

// The platform's payout JSON says whether the payout is live, as Stripe's
// livemode: in the API's answer and in every outbound event's data, which
// go to the endpoints of the payout's own mode only.
func TestPayoutJSONCarriesLivemode(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	liveEP := addEndpoint(t, s, payout.EventPayoutCreated)
	testEP, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/test",
		Events: []string{payout.EventPayoutCreated}, Test: true}, admin)
	if err != nil {
		t.Fatal(err)
	}
	live := f.intake("LIVE-1", nil)
	f.intake("TEST-1", func(r *payout.Request) { r.Provider = payout.SandboxProvider })
	// An event written before migration 00033 has no livemode in its
	// snapshot: its data says it all the same.
	s.DB().MustExec(`UPDATE outbound_events SET snapshot = snapshot #- '{payout,livemode}'
		WHERE payout_id = $1`, live.ID)

	for ref, want := range map[string]bool{"LIVE-1": true, "TEST-1": false} {
		full, err := s.PayoutWithMetadata(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(store.PayoutJSONOf(full, nil, nil))
		var got struct {
			Livemode *bool `json:"livemode"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Livemode == nil || *got.Livemode != want {
			t.Errorf("%s: API JSON %s, want livemode %v", ref, b, want)
		}
	}

	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d deliveries (%v), want one a payout", len(claimed), err)
	}
	for _, d := range claimed {
		var env struct {
			Data struct {
				ReferenceID string `json:"reference_id"`
				Livemode    *bool  `json:"livemode"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(d.Body), &env); err != nil {
			t.Fatal(err)
		}
		live := env.Data.ReferenceID == "LIVE-1"
		if env.Data.Livemode == nil || *env.Data.Livemode != live {
			t.Errorf("%s's event: livemode %v, want %v", env.Data.ReferenceID, env.Data.Livemode, live)
		}
		if wantEP := map[bool]int64{true: liveEP.ID, false: testEP.ID}[live]; d.EndpointID != wantEP {
			t.Errorf("%s's event went to endpoint %d, want %d", env.Data.ReferenceID, d.EndpointID, wantEP)
		}
	}
}
