package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func event(id, ppid, ref string, st payout.Status, utr string) store.WebhookEvent {
	return store.WebhookEvent{ID: id, Type: "payout." + string(st), ProviderPayoutID: ppid, ReferenceID: ref,
		Observation: payout.Observation{RawStatus: string(st), Status: st, UTR: utr, ProviderPayoutID: ppid}}
}

func delivery() store.Delivery {
	return store.Delivery{Provider: "sandbox", Body: []byte(`{}`), Headers: map[string]string{"Content-Type": "application/json"}}
}

func TestIngestWebhook(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "W1", payout.Processing) // provider payout id sbx_W1

	tests := []struct {
		ev      store.WebhookEvent
		outcome string
		status  payout.Status
	}{
		{event("e1", "sbx_W1", "W1", payout.Succeeded, "UTR1"), store.OutcomeApplied, payout.Succeeded},
		{event("e1", "sbx_W1", "W1", payout.Succeeded, "UTR1"), store.OutcomeDuplicate, payout.Succeeded},
		{event("e2", "sbx_W1", "W1", payout.Processing, ""), store.OutcomeStale, payout.Succeeded},
		{event("e3", "", "W1", payout.Failed, ""), store.OutcomeAnomaly, payout.Succeeded}, // matched by reference
		{event("e4", "sbx_W1", "", payout.Succeeded, "UTR1"), store.OutcomeMerged, payout.Succeeded},
		{store.WebhookEvent{ID: "e5", Type: "payout.downtime.started", Ignore: true}, store.OutcomeIgnored, payout.Succeeded},
	}
	for i, tt := range tests {
		res, err := s.IngestWebhook(ctx, delivery(), tt.ev)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		p, _ := s.PayoutByRef(ctx, "W1", store.First(true))
		if res.Outcome != tt.outcome || p.Status != tt.status {
			t.Errorf("%d: outcome %s, status %s; want %s, %s (%s)", i, res.Outcome, p.Status, tt.outcome, tt.status, res.Detail)
		}
	}
	p, _ := s.PayoutByRef(ctx, "W1", store.First(true))
	events, _ := s.EventsFor(ctx, p.ID)
	if len(events) != 4 { // applied, stale, anomaly, merged: the duplicate and the ignored event touch no payout
		t.Errorf("%d payout events, want 4", len(events))
	}
	for _, e := range events {
		if e.DeliveryID == nil || e.Source != payout.SourceWebhook {
			t.Errorf("event %+v not linked to its delivery", e)
		}
	}
	ds, _ := s.DeliveriesFor(ctx, p.ID)
	if len(ds) != 5 {
		t.Errorf("%d deliveries linked to the payout, want 5", len(ds))
	}
}

// An event for a payout payops does not know yet is kept and applied when
// the payout appears, by reference or by provider payout id.
func TestOrphans(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	res, err := s.IngestWebhook(ctx, delivery(), event("o1", "sbx_LATE", "LATE", payout.Succeeded, "UTR9"))
	if err != nil || res.Outcome != store.OutcomeOrphan {
		t.Fatalf("orphan: %+v %v", res, err)
	}
	newPayout(t, s, "LATE", payout.Processing)
	p, _ := s.PayoutByRef(ctx, "LATE", store.First(true))
	if p.Status != payout.Succeeded || p.UTR != "UTR9" {
		t.Errorf("after the payout appeared: %s %q, want SUCCEEDED with the orphan's UTR", p.Status, p.UTR)
	}
	ds, _ := s.Deliveries(ctx, store.DeliveryFilter{Limit: 10})
	if len(ds) != 1 || ds[0].PayoutRef == nil || *ds[0].PayoutRef != "LATE" {
		t.Errorf("orphan delivery not linked: %+v", ds)
	}
	// The same event again is a duplicate, not a second application.
	if res, _ := s.IngestWebhook(ctx, delivery(), event("o1", "sbx_LATE", "LATE", payout.Succeeded, "UTR9")); res.Outcome != store.OutcomeDuplicate {
		t.Errorf("replayed orphan: %s", res.Outcome)
	}
}

// An event under our reference that names another provider payout id than
// the payout's is about a second payout at the provider, not ours: it stays
// an orphan (for a person, through the exceptions scan) and moves nothing,
// on arrival or when the payout appears later; one naming no id, or ours,
// is the payout's.
func TestAnotherPayoutAtTheProviderUnderOurReferenceIsNotOurs(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "TWIN", payout.Processing) // sbx_TWIN at the provider
	res, err := s.IngestWebhook(ctx, delivery(), event("t1", "sbx_TWIN_2", "TWIN", payout.Failed, ""))
	if err != nil || res.Outcome != store.OutcomeOrphan {
		t.Fatalf("another payout's event: %+v %v, want an orphan", res, err)
	}
	if _, err := s.ScanExceptions(ctx, func(string, string) payout.FailureClass { return "" }); err != nil {
		t.Fatal(err) // the scan adopts orphans whose payout exists: not this one
	}
	if p, _ := s.PayoutByRef(ctx, "TWIN", store.First(true)); p.Status != payout.Processing {
		t.Errorf("TWIN is %s after another payout's event, want PROCESSING", p.Status)
	}
	if res, err := s.IngestWebhook(ctx, delivery(), event("t2", "", "TWIN", payout.Succeeded, "UTR1")); err != nil ||
		res.Outcome != store.OutcomeApplied {
		t.Errorf("an event naming no provider id: %+v %v, want applied", res, err)
	}
}

// Every order of a payout's events, duplicates included, ends in the same
// state, with each distinct event applied or judged exactly once.
func TestEveryOrderConverges(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	lives := []struct {
		name   string
		events []store.WebhookEvent
		want   payout.Status
		utr    string
	}{
		{"success", []store.WebhookEvent{
			event("q", "", "", payout.Queued, ""), event("p", "", "", payout.Processing, ""),
			event("s", "", "", payout.Succeeded, "UTR-S"), event("s", "", "", payout.Succeeded, "UTR-S"),
			event("p", "", "", payout.Processing, "")}, payout.Succeeded, "UTR-S"},
		{"reversal", []store.WebhookEvent{
			event("p", "", "", payout.Processing, ""), event("s", "", "", payout.Succeeded, "UTR-R"),
			event("r", "", "", payout.Reversed, ""), event("r", "", "", payout.Reversed, ""),
			event("q", "", "", payout.Queued, "")}, payout.Reversed, ""},
		{"failure", []store.WebhookEvent{
			event("q", "", "", payout.Queued, ""), event("p", "", "", payout.Processing, ""),
			event("f", "", "", payout.Failed, ""), event("f", "", "", payout.Failed, ""),
			event("q", "", "", payout.Queued, "")}, payout.Failed, ""},
	}
	n := 0
	for _, life := range lives {
		permute(len(life.events), func(order []int) {
			n++
			ref := fmt.Sprintf("P%d", n)
			newPayout(t, s, ref, payout.Queued)
			for _, i := range order {
				ev := life.events[i]
				ev.ID = ref + "/" + ev.ID
				ev.ReferenceID = ref
				if _, err := s.IngestWebhook(ctx, delivery(), ev); err != nil {
					t.Fatal(err)
				}
			}
			// Deliver the whole sequence a second time: replays change nothing.
			for _, i := range order {
				ev := life.events[i]
				ev.ID = ref + "/" + ev.ID
				ev.ReferenceID = ref
				if res, err := s.IngestWebhook(ctx, delivery(), ev); err != nil || res.Outcome != store.OutcomeDuplicate {
					t.Fatalf("replay: %+v %v", res, err)
				}
			}
			p, _ := s.PayoutByRef(ctx, ref, store.First(true))
			if p.Status != life.want || (life.utr != "" && p.UTR != life.utr) {
				t.Errorf("%s in order %v: %s %q, want %s %q", life.name, order, p.Status, p.UTR, life.want, life.utr)
			}
			checkLedger(t, s, p, life.want)
		})
	}
}

func permute(n int, f func([]int)) {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	var rec func(int)
	rec = func(k int) {
		if k == n {
			f(a)
			return
		}
		for i := k; i < n; i++ {
			a[k], a[i] = a[i], a[k]
			rec(k + 1)
			a[k], a[i] = a[i], a[k]
		}
	}
	rec(0)
}

// checkLedger checks a payout's journal: at most one posting of each kind,
// each balanced, and what the final state calls for.
func checkLedger(t *testing.T, s *store.Store, p store.Payout, final payout.Status) {
	t.Helper()
	entries, err := s.LedgerFor(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]map[int64]bool{}
	net := map[string]int64{} // per posting kind
	payable := int64(0)
	for _, e := range entries {
		if kinds[e.Kind] == nil {
			kinds[e.Kind] = map[int64]bool{}
		}
		kinds[e.Kind][e.PostingID] = true
		amt := e.AmountMinor
		if e.Direction == "credit" {
			amt = -amt
		}
		net[e.Kind] += amt
		if e.Account == "payouts_payable" {
			payable += amt
		}
	}
	for k, ids := range kinds {
		if len(ids) != 1 {
			t.Errorf("%s: %d %s postings, want one", p.ReferenceID, len(ids), k)
		}
		if net[k] != 0 {
			t.Errorf("%s: %s posting does not balance: %d", p.ReferenceID, k, net[k])
		}
	}
	switch final {
	case payout.Succeeded:
		if payable != p.AmountMinor || len(kinds["succeeded"]) != 1 {
			t.Errorf("%s succeeded: payable debited %d, want %d", p.ReferenceID, payable, p.AmountMinor)
		}
	case payout.Reversed, payout.Failed:
		if payable != 0 {
			t.Errorf("%s %s: payable nets to %d, want 0", p.ReferenceID, final, payable)
		}
	}
	if imb, _ := s.LedgerImbalances(context.Background()); len(imb) != 0 {
		t.Errorf("ledger out of balance: %+v", imb)
	}
}

func TestLedgerFeesAndReversal(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "L1", payout.Processing)
	fee := payout.Money{Minor: 590, Currency: "INR"}
	obs := payout.Observation{Source: payout.SourcePoll, RawStatus: "processed", Status: payout.Succeeded}
	if _, err := s.ApplyObservation(ctx, "L1", store.First(true), obs); err != nil {
		t.Fatal(err)
	}
	obs.Fee = &fee // the fee arrives later, with a payout.updated
	if _, err := s.ApplyObservation(ctx, "L1", store.First(true), obs); err != nil {
		t.Fatal(err)
	}
	s.ApplyObservation(ctx, "L1", store.First(true), obs) // and again
	if _, err := s.ApplyObservation(ctx, "L1", store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "reversed", Status: payout.Reversed}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.PayoutByRef(ctx, "L1", store.First(true))
	entries, _ := s.LedgerFor(ctx, p)
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %s %s %d", e.Kind, e.Direction, e.Account, e.AmountMinor))
	}
	want := []string{
		"succeeded debit payouts_payable 125050", "succeeded credit provider_settlement:sandbox 125050",
		"fee debit provider_fees 590", "fee credit provider_settlement:sandbox 590",
		"reversed credit payouts_payable 125050", "reversed debit provider_settlement:sandbox 125050",
		"reversed credit provider_fees 590", "reversed debit provider_settlement:sandbox 590",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ledger\n got %v\nwant %v", got, want)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE ledger_entries SET amount_minor = 1`); err == nil {
		t.Error("a ledger entry was updated")
	}
}

// A delivery's body length is what it arrived with: given, or the body's
// own; a delivery stored before the length was kept (NULL) has its whole
// body, so its length is the body's.
func TestDeliveryBodyLength(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	tests := []struct {
		name string
		d    store.Delivery
		want int64
	}{
		{"refused, its start kept", store.Delivery{Provider: "sandbox", Body: []byte("{\"a\":"), BodyLength: 1 << 20,
			Outcome: store.OutcomeRejected}, 1 << 20},
		{"whole", store.Delivery{Provider: "sandbox", Body: []byte(`{"a":1}`), Outcome: store.OutcomeMalformed}, 7},
		{"nothing kept", store.Delivery{Provider: "sandbox", Outcome: store.OutcomeMalformed}, 0},
	}
	for _, tt := range tests {
		if _, err := s.RecordDelivery(ctx, tt.d); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ds, err := s.Deliveries(ctx, store.DeliveryFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds[0].BodyLength; got != tt.want {
			t.Errorf("%s: length %d, want %d", tt.name, got, tt.want)
		}
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE webhook_deliveries SET body_length = NULL`); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Deliveries(ctx, store.DeliveryFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if got, want := d.BodyLength, int64(len(d.Body)); got != want {
			t.Errorf("delivery %d stored before lengths were: length %d, want %d", d.ID, got, want)
		}
	}
}

// A drill's "forged accepted" counts unverified deliveries that were taken
// in; ones rejected, or refused unread for their size, are not.
func TestForgedAccepted(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	since := time.Now().Add(-time.Minute)
	for _, outcome := range []string{store.OutcomeRejected, store.OutcomeMalformed, store.OutcomeOrphan} {
		d := delivery()
		d.Outcome = outcome
		if _, err := s.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.ForgedAccepted(ctx, "sandbox", since); err != nil || n != 1 {
		t.Fatalf("forged accepted = %d (%v), want 1: the unverified orphan only", n, err)
	}
}

// A webhook that arrived as an orphan while its payout's provider id was
// being recorded (neither write saw the other, so nothing adopted it) is
// adopted by the next exceptions scan, applied, and opens no orphan case.
func TestTheScanAdoptsAnOrphanWhosePayoutNowExists(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "RACE-1", payout.Processing)
	s.DB().MustExecContext(ctx, `UPDATE payouts SET provider_payout_id = NULL WHERE reference_id = 'RACE-1'`)
	res, err := s.IngestWebhook(ctx, delivery(), event("race-e1", "sbx_RACE-1", "", payout.Succeeded, "UTR-R1"))
	if err != nil || res.Outcome != store.OutcomeOrphan {
		t.Fatalf("ingest: %+v %v, want an orphan", res, err)
	}
	// The provider id recorded as if by a submission that committed
	// alongside the webhook, without adopting it.
	s.DB().MustExecContext(ctx, `UPDATE payouts SET provider_payout_id = 'sbx_RACE-1' WHERE reference_id = 'RACE-1'`)
	if _, err := s.ScanExceptions(ctx, func(string, string) payout.FailureClass { return payout.FailUnknown }); err != nil {
		t.Fatal(err)
	}
	p, _ := s.PayoutByRef(ctx, "RACE-1", store.First(true))
	if p.Status != payout.Succeeded || p.UTR != "UTR-R1" {
		t.Errorf("after the scan: %s, UTR %q; want the orphan applied", p.Status, p.UTR)
	}
	var orphans int
	s.DB().GetContext(ctx, &orphans, `SELECT count(*) FROM webhook_events WHERE payout_id IS NULL`)
	if orphans != 0 {
		t.Errorf("%d orphans left", orphans)
	}
}

// Two orphans of one payout, both under our reference and naming the
// provider's id it did not have yet: applying the first records the id and
// adopts the second inside it, and the second is not applied again (it
// made a second event and audit entry, and rewrote its delivery's detail).
func TestOrphansAdoptedWithinAnotherAreAppliedOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for _, ev := range []store.WebhookEvent{event("a1", "sbx_NEW", "TWO", payout.Processing, ""),
		event("a2", "sbx_NEW", "TWO", payout.Succeeded, "UTR7")} {
		if res, err := s.IngestWebhook(ctx, delivery(), ev); err != nil || res.Outcome != store.OutcomeOrphan {
			t.Fatalf("orphan %s: %+v %v", ev.ID, res, err)
		}
	}
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "TWO", Provider: "sandbox",
		Amount: payout.Money{Minor: 125050, Currency: "INR"}, Mode: "IMPS", Status: payout.Queued,
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.PayoutByRef(ctx, "TWO", store.First(true))
	if p.Status != payout.Succeeded || p.UTR != "UTR7" || p.ProviderID() != "sbx_NEW" {
		t.Errorf("TWO is %s %q at %q, want SUCCEEDED with UTR7 at sbx_NEW", p.Status, p.UTR, p.ProviderID())
	}
	events, _ := s.EventsFor(ctx, p.ID)
	perDelivery := map[int64]int{}
	for _, e := range events {
		if e.DeliveryID != nil {
			perDelivery[*e.DeliveryID]++
		}
	}
	if len(perDelivery) != 2 {
		t.Errorf("events of %d deliveries, want the two orphans': %+v", len(perDelivery), events)
	}
	for d, n := range perDelivery {
		if n != 1 {
			t.Errorf("delivery %d made %d payout events, want 1", d, n)
		}
	}
}
