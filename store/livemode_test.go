package store_test

import (
	"context"
	"encoding/json"
	"errors"
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
		full, err := s.PayoutWithMetadata(ctx, ref, store.First(true))
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

// A reference is unique per mode: a test payout under a reference takes
// nothing from the live space (a test token could otherwise take the
// reference a live payout will need, and learn from a refusal that a live
// one has it). Each lookup reaches its own mode's payout, and an
// observation applied to one leaves the other alone.
func TestAReferenceIsUniquePerMode(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	test := f.intake("SHARED-1", func(r *payout.Request) { r.Provider, r.AmountMinor = payout.SandboxProvider, 1000 })
	live := f.intake("SHARED-1", nil)
	if test.ID == live.ID || test.Livemode || !live.Livemode || live.AmountMinor != 125000 {
		t.Fatalf("two payouts under one reference: test %+v, live %+v", test, live)
	}
	// The same request again is the same payout in its own mode, and
	// another request under the reference is refused in its own mode.
	again := payout.Request{ReferenceID: "SHARED-1", Provider: payout.SandboxProvider, AmountMinor: 1000, Currency: "INR",
		Market: "IN", Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if created, err := s.Intake(ctx, again, holdPolicy, store.Actor{Name: "api:test"}); created || err != nil {
		t.Errorf("the test request again: created %v, %v", created, err)
	}
	again.AmountMinor = 2000
	var idem *store.IdempotencyError
	if _, err := s.Intake(ctx, again, holdPolicy, store.Actor{Name: "api:test"}); !errors.As(err, &idem) || idem.Field != "amount" {
		t.Errorf("another test request under the reference: %v, want a conflict on amount", err)
	}

	for _, c := range []struct {
		name string
		m    store.RefMode
		want int64
	}{
		{"exactly live", store.Exactly(true), live.ID}, {"exactly test", store.Exactly(false), test.ID},
		{"live first", store.First(true), live.ID}, {"test first", store.First(false), test.ID},
	} {
		p, err := s.PayoutByRef(ctx, "SHARED-1", c.m)
		if err != nil || p.ID != c.want {
			t.Errorf("%s: payout %d %v, want %d", c.name, p.ID, err, c.want)
		}
	}
	f.intake("LIVE-ONLY", nil)
	if _, err := s.PayoutByRef(ctx, "LIVE-ONLY", store.Exactly(false)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a live-only reference exactly in test: %v, want not found", err)
	}
	if p, err := s.PayoutByRef(ctx, "LIVE-ONLY", store.First(false)); err != nil || !p.Livemode {
		t.Errorf("a live-only reference, test first: %+v %v, want the live payout", p, err)
	}

	s.DB().MustExec(`UPDATE payouts SET status = 'PROCESSING', submitted_at = now() WHERE reference_id = 'SHARED-1'`)
	obs := payout.Observation{Source: payout.SourceManual, RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR1"}
	if a, err := s.ApplyObservation(ctx, "SHARED-1", store.Exactly(false), obs); err != nil || a.Payout.ID != test.ID || a.To != payout.Succeeded {
		t.Fatalf("apply to the test payout: %+v %v", a, err)
	}
	if err := s.RecordCheckFailure(ctx, "SHARED-1", store.Exactly(true), payout.SourceManual, "ops", "timeout"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		live   bool
		status payout.Status
		events []string
	}{{false, payout.Succeeded, []string{"applied"}}, {true, payout.Processing, []string{"error"}}} {
		p, err := s.PayoutByRef(ctx, "SHARED-1", store.Exactly(c.live))
		if err != nil || p.Status != c.status {
			t.Errorf("live %v: %s %v, want %s", c.live, p.Status, err, c.status)
		}
		var got []string
		s.DB().Select(&got, `SELECT decision FROM payout_events WHERE payout_id = $1 AND source <> 'intake' ORDER BY id`, p.ID)
		if !slices.Equal(got, c.events) {
			t.Errorf("live %v: events %v, want %v", c.live, got, c.events)
		}
		// Its audit entries are its own: the test payout's are under the
		// reference marked (test).
		entries, err := s.PayoutAudit(ctx, p)
		want := map[bool]string{true: "payout.check_failed", false: "payout.observe"}[c.live]
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			if ref, live := store.PayoutOfEntity(e.EntityID); ref != "SHARED-1" || live != c.live {
				t.Errorf("live %v: an entry about %q", c.live, e.EntityID)
			}
		}
		if err != nil || !slices.Contains(actions, "payout.create") || !slices.Contains(actions, want) ||
			slices.Contains(actions, map[bool]string{true: "payout.observe", false: "payout.check_failed"}[c.live]) {
			t.Errorf("live %v: audit %v %v, want its own create and %s", c.live, actions, err, want)
		}
	}
}

// A webhook that came before its payout was recorded is applied after the
// payout is whole: the platform hears payout.created (and payout.held)
// before what the webhook changed; and it is judged against the payout as
// intake left it — a held payout was never sent, so a provider's report of
// its outcome is an anomaly for a person, not a payment.
func TestAnOrphanIsAppliedAfterItsPayoutIsCreated(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	test, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/test", Test: true}, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"EARLY-1", "EARLY-2"} {
		if res, err := s.IngestWebhook(ctx, delivery(), event("e-"+ref, "", ref, payout.Succeeded, "UTR-"+ref)); err != nil ||
			res.Outcome != store.OutcomeOrphan {
			t.Fatalf("%s: %+v %v, want an orphan", ref, res, err)
		}
	}
	sent := f.intake("EARLY-1", func(r *payout.Request) { r.Provider = payout.SandboxProvider })
	held := f.intake("EARLY-2", func(r *payout.Request) {
		r.Provider, r.Beneficiary.TaxArtifact = payout.SandboxProvider, payout.TaxMissing
	})
	want := []string{"payout.created:EARLY-1", "payout.succeeded:EARLY-1", "payout.created:EARLY-2", "payout.held:EARLY-2"}
	if got := eventTypes(t, s, test.ID); !slices.Equal(got, want) {
		t.Errorf("the platform's events: %v, want %v", got, want)
	}
	for _, c := range []struct {
		p        store.Payout
		status   payout.Status
		decision string
	}{{sent, payout.Succeeded, "applied"}, {held, payout.Held, "anomaly"}} {
		var decisions []string
		s.DB().Select(&decisions, `SELECT decision FROM payout_events WHERE payout_id = $1 AND source = 'webhook'`, c.p.ID)
		if c.p.Status != c.status || !slices.Equal(decisions, []string{c.decision}) {
			t.Errorf("%s: %s, the orphan %v; want %s, %s", c.p.ReferenceID, c.p.Status, decisions, c.status, c.decision)
		}
	}
}

// The audit entries written before references were unique per mode are under
// the bare reference whatever the mode (migration 00056): they stay the
// entries of the payout that had the reference then, even once a payout of
// the other mode takes it.
func TestAuditEntriesFromBeforeTheTwoSpacesStayTheirPayouts(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	old := f.intake("OLD-1", func(r *payout.Request) { r.Provider = payout.SandboxProvider })
	// As the code before 00056 wrote them: the test payout's entries under
	// its bare reference, all before the first id of the marked ones.
	s.DB().MustExec(`INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		VALUES ('ops', 'hold.evidence', 'payout', 'OLD-1', '{}'), ('ops', 'payout.observe', 'payout', 'OLD-1', '{}')`)
	s.DB().MustExec(`UPDATE audit_entities_per_mode SET from_id = (SELECT max(id) + 1 FROM audit_log)`)
	live := f.intake("OLD-1", nil)
	for _, c := range []struct {
		p            store.Payout
		want, absent string
	}{{old, "hold.evidence", ""}, {live, "payout.create", "hold.evidence"}} {
		entries, err := s.PayoutAudit(ctx, c.p)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if err != nil || !slices.Contains(actions, c.want) || (c.absent != "" && slices.Contains(actions, c.absent)) {
			t.Errorf("live %v: %v %v, want %s and not %q", c.p.Livemode, actions, err, c.want, c.absent)
		}
	}
}
