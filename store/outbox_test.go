package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

var admin = store.Actor{Name: "admin@example.com"}

func addEndpoint(t *testing.T, s *store.Store, events ...string) store.WebhookEndpoint {
	t.Helper()
	e, err := s.AddWebhookEndpoint(context.Background(), store.NewWebhookEndpoint{URL: "https://hooks.example.com/payops",
		Events: events}, admin)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// eventTypes returns the types of an endpoint's deliveries, oldest first,
// as "type:ref".
func eventTypes(t *testing.T, s *store.Store, endpointID int64) []string {
	t.Helper()
	ds, err := s.DeliveriesOf(context.Background(), endpointID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		ref := ""
		if ds[i].PayoutRef != nil {
			ref = *ds[i].PayoutRef
		}
		out = append(out, ds[i].Type+":"+ref)
	}
	return out
}

func observe(t *testing.T, s *store.Store, ref string, st payout.Status) {
	t.Helper()
	if _, err := s.ApplyObservation(context.Background(), ref, store.First(true), payout.Observation{Source: payout.SourcePoll,
		Status: st, UTR: "UTR" + ref}); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxIsWrittenWithTheChange(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	f.intake("BEFORE", nil) // no endpoint yet: no event, now or later
	all := addEndpoint(t, s)
	succeeded := addEndpoint(t, s, payout.EventPayoutSucceeded)
	off := addEndpoint(t, s)
	if err := s.SetWebhookEndpointEnabled(ctx, off.ID, false, "test", admin); err != nil {
		t.Fatal(err)
	}

	f.intake("OK-1", nil)
	observe(t, s, "OK-1", payout.Processing)
	observe(t, s, "OK-1", payout.Processing) // no change, no event
	observe(t, s, "OK-1", payout.Succeeded)
	held := f.intake("HELD-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing })
	if _, err := s.RejectHold(ctx, f.holds(held)[payout.ReasonTax].ID, f.comp1, "no tax form", store.AnyShown); err != nil {
		t.Fatal(err)
	}
	want := []string{"payout.created:OK-1", "payout.processing:OK-1", "payout.succeeded:OK-1",
		"payout.created:HELD-1", "payout.held:HELD-1", "hold.rejected:HELD-1", "payout.cancelled:HELD-1"}
	if got := eventTypes(t, s, all.ID); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("all events:\n got %v\nwant %v", got, want)
	}
	if got := eventTypes(t, s, succeeded.ID); strings.Join(got, " ") != "payout.succeeded:OK-1" {
		t.Errorf("payout.succeeded only: %v", got)
	}
	// A disabled endpoint's events wait for it (TestBacklog: parked, and
	// claimed once it is enabled again).
	if got := eventTypes(t, s, off.ID); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("a disabled endpoint's waiting events:\n got %v\nwant %v", got, want)
	}
	var before int
	if err := s.DB().Get(&before, `SELECT count(*) FROM outbound_events e JOIN payouts p ON p.id = e.payout_id
		WHERE p.reference_id = 'BEFORE'`); err != nil || before != 0 {
		t.Errorf("%d events of a payout changed before any endpoint (%v)", before, err)
	}
}

func TestOutboxDataIsTheAPIPayoutAsOfTheCommit(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	e := addEndpoint(t, s, payout.EventPayoutSucceeded)
	p := f.intake("SNAP-1", func(r *payout.Request) { r.Metadata = []byte(`{"order": "A-17", "n": [1, 2]}`) })
	observe(t, s, "SNAP-1", payout.Processing)
	observe(t, s, "SNAP-1", payout.Succeeded)
	api := apiJSON(t, s, p)
	observe(t, s, "SNAP-1", payout.Reversed) // later: the event keeps what was committed with it

	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 1 || claimed[0].EndpointID != e.ID {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	var env struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(claimed[0].Body), &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != payout.EventPayoutSucceeded || env.Timestamp.IsZero() {
		t.Errorf("envelope %s %s", env.Type, env.Timestamp)
	}
	if string(env.Data) != api {
		t.Errorf("data\n got %s\nwant %s", env.Data, api)
	}
	if !strings.HasPrefix(claimed[0].WebhookID, "msg_") {
		t.Errorf("webhook id %q", claimed[0].WebhookID)
	}
}

// apiJSON returns the payout as GET /api/v1/payouts/{ref} answers it now.
func apiJSON(t *testing.T, s *store.Store, p store.Payout) string {
	t.Helper()
	ctx := context.Background()
	full, err := s.PayoutWithMetadata(ctx, p.ReferenceID, store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	holds, _ := s.HoldsOfPayouts(ctx, []int64{p.ID})
	entries, _ := s.LedgerOfPayouts(ctx, []store.Payout{full})
	if len(entries[p.ID]) == 0 {
		t.Fatal("a succeeded payout without ledger entries")
	}
	b, err := json.Marshal(store.PayoutJSONOf(full, holds[p.ID], entries[p.ID]))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOutboxRolledBackWithTheChange(t *testing.T) {
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "RB-1", payout.Processing)
	// The apply's audit row fails after its outbox row was written: the
	// transaction, event included, rolls back.
	s.DB().MustExec(`CREATE FUNCTION refuse_rb() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.entity_id = 'RB-1' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`)
	s.DB().MustExec(`CREATE TRIGGER refuse_rb BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_rb()`)
	_, err := s.ApplyObservation(context.Background(), "RB-1", store.First(true), payout.Observation{Source: payout.SourcePoll, Status: payout.Succeeded})
	if err == nil || !strings.Contains(err.Error(), "refused for the test") {
		t.Fatalf("apply: %v", err)
	}
	var n int
	if err := s.DB().Get(&n, `SELECT count(*) FROM outbound_events`); err != nil || n != 0 {
		t.Errorf("%d events after a rollback (%v)", n, err)
	}
	if got := eventTypes(t, s, e.ID); len(got) != 0 {
		t.Errorf("deliveries after a rollback: %v", got)
	}
}

func TestReconciliationEvents(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s, payout.EventReconDifferences, payout.EventReconSignedOff)
	test, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/test", Test: true}, admin)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	fin := store.Actor{Name: "finance@example.com"}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, []payout.ProviderRecord{
		{ProviderPayoutID: "pp-A", ReferenceID: "A", Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded}}, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if _, err := s.ResolveDiff(ctx, diffs[0].ID, fin, "not ours", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, run.ID, fin); err != nil {
		t.Fatal(err)
	}
	got := eventTypes(t, s, e.ID)
	if strings.Join(got, " ") != "reconciliation.differences_found: reconciliation.signed_off:" {
		t.Fatalf("events %v", got)
	}
	// Reconciliation is of live payouts only: a test endpoint hears nothing.
	if got := eventTypes(t, s, test.ID); len(got) != 0 {
		t.Errorf("test endpoint got %v", got)
	}
	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	if !strings.Contains(claimed[0].Body, `"differences":1`) || !strings.Contains(claimed[0].Body, `"business_date":"2026-11-20"`) ||
		!strings.Contains(claimed[0].Body, `"version":1`) {
		t.Errorf("differences event %s", claimed[0].Body)
	}
}

func TestTwoClaimersNeverShareADelivery(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	addEndpoint(t, s)
	addEndpoint(t, s)
	for i := range 30 {
		ref := "C-" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		newPayout(t, s, ref, payout.Processing)
		observe(t, s, ref, payout.Succeeded)
	}
	now := time.Now().Add(time.Second)
	seen := map[int64]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				claimed, err := s.ClaimDeliveries(ctx, now, 7, time.Minute, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if len(claimed) == 0 {
					return
				}
				mu.Lock()
				for _, d := range claimed {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("claimed %d deliveries, want 60", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
}

func TestBacklog(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	on, off := addEndpoint(t, s), addEndpoint(t, s)
	newPayout(t, s, "BL-1", payout.Processing)
	observe(t, s, "BL-1", payout.Succeeded)
	if err := s.SetWebhookEndpointEnabled(ctx, off.ID, false, "test", admin); err != nil {
		t.Fatal(err)
	}
	b, err := s.Backlog(ctx)
	if err != nil || b.Pending != 1 || b.Parked != 1 || b.Oldest == nil || time.Since(*b.Oldest) > time.Minute {
		t.Fatalf("backlog %+v, %v", b, err)
	}
	claimed, _ := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if len(claimed) != 1 || claimed[0].EndpointID != on.ID {
		t.Fatalf("claimed %+v: a disabled endpoint's delivery, or none", claimed)
	}
	if _, err := s.RecordAttempt(ctx, store.Attempt{DeliveryID: claimed[0].ID, At: time.Now(), Status: 200}); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Backlog(ctx); err != nil || b.Pending != 0 || b.Oldest != nil || b.Parked != 1 {
		t.Fatalf("after delivering: %+v, %v", b, err)
	}
	// An event written while the endpoint is disabled waits for it too, and
	// both go once it is enabled again.
	newPayout(t, s, "BL-2", payout.Processing)
	observe(t, s, "BL-2", payout.Succeeded)
	if b, err := s.Backlog(ctx); err != nil || b.Parked != 2 {
		t.Fatalf("after an event while disabled: %+v, %v", b, err)
	}
	if err := s.SetWebhookEndpointEnabled(ctx, off.ID, true, "", admin); err != nil {
		t.Fatal(err)
	}
	claimed, _ = s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	var toOff int
	for _, c := range claimed {
		if c.EndpointID == off.ID {
			toOff++
		}
	}
	if toOff != 2 {
		t.Errorf("enabled again: %d of its deliveries claimed (%d in all), want both", toOff, len(claimed))
	}
}

func TestPruneOutbound(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	addEndpoint(t, s)
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := s.DB().GetContext(ctx, &n, query, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventsOf := func(ref string) int {
		return count(`SELECT count(*) FROM outbound_events e JOIN payouts p ON p.id = e.payout_id WHERE p.reference_id = $1`, ref)
	}
	// OLD and NEW delivered, every attempt recorded; PENDING not yet.
	for _, ref := range []string{"OLD", "NEW"} {
		newPayout(t, s, ref, payout.Processing)
		observe(t, s, ref, payout.Succeeded)
	}
	for {
		claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(claimed) == 0 {
			break
		}
		for _, d := range claimed {
			if _, err := s.RecordAttempt(ctx, store.Attempt{DeliveryID: d.ID, At: time.Now(), Status: 200}); err != nil {
				t.Fatal(err)
			}
		}
	}
	newPayout(t, s, "PENDING", payout.Processing)
	observe(t, s, "PENDING", payout.Succeeded)
	old, pending := eventsOf("OLD"), eventsOf("PENDING")
	if old == 0 || pending == 0 || eventsOf("NEW") == 0 {
		t.Fatalf("events: old %d, pending %d, new %d: want some of each", old, pending, eventsOf("NEW"))
	}
	attemptsBefore := count(`SELECT count(*) FROM outbound_attempts`)
	if _, err := s.DB().ExecContext(ctx, `UPDATE outbound_events e SET created_at = now() - interval '100 days'
		FROM payouts p WHERE p.id = e.payout_id AND p.reference_id IN ('OLD', 'PENDING')`); err != nil {
		t.Fatal(err)
	}

	// One event a statement: the loop goes on until a statement finds none.
	n, err := s.PruneOutbound(ctx, time.Now().Add(-90*24*time.Hour), 1)
	if err != nil || n != old {
		t.Fatalf("pruned %d, %v; want OLD's %d events", n, err, old)
	}
	if got := eventsOf("OLD"); got != 0 {
		t.Errorf("%d of OLD's events left", got)
	}
	if got := eventsOf("PENDING"); got != pending {
		t.Errorf("PENDING has %d events, want its %d: an old event still owed to the platform is kept", got, pending)
	}
	if got := count(`SELECT count(*) FROM outbound_deliveries d LEFT JOIN outbound_events e ON e.id = d.event_id WHERE e.id IS NULL`); got != 0 {
		t.Errorf("%d deliveries of pruned events left", got)
	}
	if got := count(`SELECT count(*) FROM outbound_attempts`); got != attemptsBefore-old {
		t.Errorf("%d attempts left, want %d (OLD's %d went with their deliveries)", got, attemptsBefore-old, old)
	}
	if n, err := s.PruneOutbound(ctx, time.Now().Add(-90*24*time.Hour), 1); err != nil || n != 0 {
		t.Errorf("pruned again: %d, %v; want nothing", n, err)
	}

	// NEW's deliveries are redelivered (set pending again, as Redeliver
	// does) while a prune that chose NEW as done waits for their locks: it
	// reads them again and keeps NEW.
	if _, err := s.DB().ExecContext(ctx, `UPDATE outbound_events e SET created_at = now() - interval '100 days'
		FROM payouts p WHERE p.id = e.payout_id AND p.reference_id = 'NEW'`); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE outbound_deliveries d SET state = 'pending' FROM outbound_events e, payouts p
		WHERE e.id = d.event_id AND p.id = e.payout_id AND p.reference_id = 'NEW'`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.PruneOutbound(ctx, time.Now().Add(-90*24*time.Hour), 10)
		done <- result{n, err}
	}()
	for waited := 0; ; waited++ {
		if count(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%candidates%'`) > 0 {
			break
		}
		if waited == 100 {
			t.Fatal("the prune never waited for the redelivered rows' locks")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.n != 0 {
		t.Errorf("prune during a redelivery: %d, %v; want nothing pruned", r.n, r.err)
	}
	if got := eventsOf("NEW"); got == 0 {
		t.Error("NEW's events pruned while a delivery of them was pending")
	}
}

// A test endpoint's backlog (test payouts' events) is not the live one the
// metric and alert read.
func TestBacklogLeavesTestEndpointsOut(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	if _, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/test", Test: true}, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "BL-T", Provider: "sandbox", ProviderPayoutID: "sbx_BL-T",
		Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Processing, Test: true,
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	observe(t, s, "BL-T", payout.Succeeded)
	var pending int
	if err := s.DB().Get(&pending, `SELECT count(*) FROM outbound_deliveries WHERE state = 'pending'`); err != nil || pending == 0 {
		t.Fatalf("the test endpoint has %d pending deliveries (%v), want some", pending, err)
	}
	if b, err := s.Backlog(ctx); err != nil || b.Pending != 0 || b.Oldest != nil {
		t.Errorf("backlog %+v, %v; want the test endpoint's left out", b, err)
	}
}

// Two attempts of one delivery at once (a Redeliver pressed mid-attempt):
// the failure that lands after the success leaves it delivered, and its
// endpoint not failing.
func TestALateFailedAttemptLeavesADeliveredDeliveryDelivered(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "LATE-1", payout.Processing)
	observe(t, s, "LATE-1", payout.Succeeded)
	now := time.Now().Add(time.Second)
	claimed, err := s.ClaimDeliveries(ctx, now, 1, time.Minute, nil)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %d", err, len(claimed))
	}
	id := claimed[0].ID
	if _, err := s.RecordAttempt(ctx, store.Attempt{DeliveryID: id, At: now, Status: 200}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAttempt(ctx, store.Attempt{DeliveryID: id, At: now.Add(time.Second), Status: 503,
		Error: "503 Service Unavailable"}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.DeliveriesOf(ctx, e.ID, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %v %d", err, len(ds))
	}
	if ds[0].State != "delivered" {
		t.Errorf("delivery is %s after a late failed attempt, want delivered", ds[0].State)
	}
	var failing bool
	s.DB().QueryRowx(`SELECT failing_since IS NOT NULL FROM webhook_endpoints WHERE id = $1`, e.ID).Scan(&failing)
	if failing {
		t.Error("the endpoint is failing after it answered 2xx")
	}
}

// A held payout the provider may have, which the provider says it has
// QUEUED, leaves HELD for QUEUED: a state with no event of its own, so the
// platform is told hold.released (its last word was payout.held). A
// disabled endpoint disabled again keeps the delivery job's reason.
func TestAHeldPayoutTheProviderQueuedTellsThePlatform(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "HQ-1", payout.Held)
	s.DB().MustExec(`UPDATE payouts SET submit_attempts = 1, submit_outcome_unknown = true WHERE reference_id = 'HQ-1'`)
	res, err := s.ApplyObservation(ctx, "HQ-1", store.First(true), payout.Observation{Source: payout.SourcePoll, Status: payout.Queued,
		RawStatus: "queued"})
	if err != nil || res.Decision != payout.Apply || res.To != payout.Queued {
		t.Fatalf("the provider's QUEUED: %+v %v, want applied", res, err)
	}
	got := eventTypes(t, s, e.ID)
	if len(got) == 0 || got[len(got)-1] != payout.EventHoldReleased+":HQ-1" {
		t.Errorf("events %v, want hold.released last", got)
	}

	s.DB().MustExec(`UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'failing for 3 days' WHERE id = $1`, e.ID)
	if err := s.SetWebhookEndpointEnabled(ctx, e.ID, false, "admin looked", admin); err != nil {
		t.Fatal(err)
	}
	var reason string
	s.DB().Get(&reason, `SELECT disabled_reason FROM webhook_endpoints WHERE id = $1`, e.ID)
	if reason != "failing for 3 days" {
		t.Errorf("reason %q after disabling again, want the delivery job's kept", reason)
	}
}

// The bank's UTR arriving after the payout succeeded (RazorpayX's
// payout.updated) tells the platform: payout.updated, the payout with its
// UTR. A repeat of what payops knows tells it nothing.
func TestALaterUTRTellsThePlatform(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	s := f.s
	e := addEndpoint(t, s)
	f.intake("UTR-LATE", nil)
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, Status: payout.Succeeded},
		{Source: payout.SourceWebhook, Status: payout.Succeeded, UTR: "HDFC000123456789"},
		{Source: payout.SourceWebhook, Status: payout.Succeeded, UTR: "HDFC000123456789"},
	} {
		if _, err := s.ApplyObservation(ctx, "UTR-LATE", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(eventTypes(t, s, e.ID), " ")
	if want := "payout.created:UTR-LATE payout.succeeded:UTR-LATE payout.updated:UTR-LATE"; got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
	var utr string
	if err := s.DB().Get(&utr, `SELECT snapshot->'payout'->>'utr' FROM outbound_events WHERE type = 'payout.updated'`); err != nil ||
		utr != "HDFC000123456789" {
		t.Errorf("payout.updated's payout has UTR %q (%v)", utr, err)
	}
}

// An event parked on an endpoint disabled for as long as events are kept is
// given up (failed, saying why) and pruned with the others; one pending for
// an enabled endpoint is kept, however old.
func TestPruneOutboundGivesUpWhatADisabledEndpointParked(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	off := addEndpoint(t, s)
	newPayout(t, s, "PARKED", payout.Processing)
	observe(t, s, "PARKED", payout.Succeeded)
	if err := s.SetWebhookEndpointEnabled(ctx, off.ID, false, "moved away", admin); err != nil {
		t.Fatal(err)
	}
	on := addEndpoint(t, s)
	newPayout(t, s, "OWED", payout.Processing)
	observe(t, s, "OWED", payout.Succeeded)
	s.DB().MustExec(`UPDATE outbound_events SET created_at = now() - interval '100 days'`)
	s.DB().MustExec(`UPDATE outbound_deliveries SET created_at = now() - interval '100 days'`)
	var parked int
	s.DB().Get(&parked, `SELECT count(*) FROM outbound_events e JOIN payouts p ON p.id = e.payout_id
		WHERE p.reference_id = 'PARKED'`)
	if parked == 0 {
		t.Fatal("no event of PARKED")
	}
	n, err := s.PruneOutbound(ctx, time.Now().Add(-90*24*time.Hour), 10)
	if err != nil || n != parked {
		t.Fatalf("pruned %d, %v; want PARKED's %d events, which only the disabled endpoint was owed", n, err, parked)
	}
	var stillParked, owed int
	s.DB().Get(&stillParked, `SELECT count(*) FROM outbound_deliveries WHERE endpoint_id = $1 AND state = 'pending'`, off.ID)
	s.DB().Get(&owed, `SELECT count(*) FROM outbound_deliveries WHERE endpoint_id = $1 AND state = 'pending'`, on.ID)
	if stillParked != 0 || owed == 0 {
		t.Errorf("after the prune: %d deliveries still parked on the disabled endpoint (want 0), %d pending for the "+
			"enabled one (want them kept)", stillParked, owed)
	}
}

// An endpoint down for longer than the whole retry schedule loses no event:
// the attempt that spends the schedule disables the endpoint, the delivery
// waits for it, and enabling the endpoint sends it again with a fresh
// schedule.
func TestAnOutageLongerThanTheScheduleLosesNoEvent(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "OUT-1", payout.Processing)
	observe(t, s, "OUT-1", payout.Succeeded)
	at := time.Now().Add(time.Second)
	claimed, err := s.ClaimDeliveries(ctx, at, 1, time.Minute, nil)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %d", err, len(claimed))
	}
	id := claimed[0].ID
	for i := 0; i <= len(payout.RetryDelays); i++ {
		disabled, err := s.RecordAttempt(ctx, store.Attempt{DeliveryID: id, At: at, Status: 503, Error: "503"})
		if err != nil {
			t.Fatal(err)
		}
		if last := i == len(payout.RetryDelays); (disabled == e.ID) != last {
			t.Fatalf("attempt %d disabled %d, want the endpoint disabled by the last attempt only", i+1, disabled)
		}
		if i < len(payout.RetryDelays) {
			at = at.Add(payout.RetryDelays[i])
		}
	}
	state := func() (st string, attempts int) {
		t.Helper()
		if err := s.DB().QueryRowx(`SELECT state, attempts FROM outbound_deliveries WHERE id = $1`, id).Scan(&st, &attempts); err != nil {
			t.Fatal(err)
		}
		return st, attempts
	}
	if st, n := state(); st != "pending" || n != len(payout.RetryDelays)+1 {
		t.Fatalf("after the schedule on a failing endpoint the delivery is %s after %d attempts, want pending", st, n)
	}
	if err := s.SetWebhookEndpointEnabled(ctx, e.ID, true, "", store.Actor{Name: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	if st, n := state(); st != "pending" || n != 0 {
		t.Errorf("after the endpoint is enabled the delivery is %s with %d attempts, want pending with a fresh schedule", st, n)
	}
	if claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil); err != nil || len(claimed) != 1 ||
		claimed[0].ID != id {
		t.Errorf("claim after enabling: %v %+v, want the waiting delivery", err, claimed)
	}
}

// An event payops cannot build a body for (a snapshot an older payops
// wrote) is given up, saying why, and every other delivery still goes:
// before, it failed every claim, for every endpoint, for ever.
func TestAnUnrenderableEventIsGivenUpNotEveryonesStall(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "UR-1", payout.Processing)
	observe(t, s, "UR-1", payout.Succeeded)
	newPayout(t, s, "UR-2", payout.Processing)
	observe(t, s, "UR-2", payout.Succeeded)
	s.DB().MustExec(`UPDATE outbound_events SET snapshot = '{"payout": {"amount_minor": "a lot"}}'
		WHERE payout_id = (SELECT id FROM payouts WHERE reference_id = 'UR-1')`)
	// One a claim: the first claim's only delivery (UR-1's, the older) is
	// given up, and the claim goes on to UR-2's.
	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 1, time.Minute, nil)
	if err != nil || len(claimed) != 1 || !strings.Contains(claimed[0].Body, `"UR-2"`) {
		t.Fatalf("claimed %+v, %v: want UR-2's event alone", claimed, err)
	}
	ds, err := s.DeliveriesOf(ctx, e.ID, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	got := ds[1] // oldest last
	if got.PayoutRef == nil || *got.PayoutRef != "UR-1" || got.State != "failed" ||
		!strings.Contains(got.LastError, "could not build this event's body") {
		t.Errorf("the unreadable event's delivery: %+v", got)
	}
	if again, err := s.ClaimDeliveries(ctx, time.Now().Add(2*time.Minute), 10, time.Minute, nil); err != nil || len(again) != 1 {
		t.Errorf("claimed after the lease %d, %v: UR-2's alone again", len(again), err)
	}
}

// The delivery log says which pending deliveries wait behind an earlier
// pending event of their payout.
func TestTheDeliveryLogSaysWhichWaitBehind(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	e := addEndpoint(t, s)
	newPayout(t, s, "BH-1", payout.Processing)
	observe(t, s, "BH-1", payout.Succeeded)
	observe(t, s, "BH-1", payout.Reversed)
	ds, err := s.DeliveriesOf(ctx, e.ID, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if !ds[0].Behind || ds[1].Behind { // newest first
		t.Errorf("behind: newest %v, oldest %v; want true, false", ds[0].Behind, ds[1].Behind)
	}
}
