package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// A group of deliveries taken in together ends as each taken in alone, in
// the group's order: applied, a failure with its code, an orphan, a
// duplicate linked to its first delivery's payout, an amount the provider
// states otherwise (its case opened), and a HELD payout's report (an
// anomaly); each with its delivery row, event, audit entry and ledger.
func TestAGroupIsTakenInAsEachAlone(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for _, ref := range []string{"G1", "G2", "G3", "G4"} {
		newPayout(t, s, ref, payout.Processing)
	}
	first, err := s.IngestWebhook(ctx, delivery(), event("g-e0", "sbx_G4", "G4", payout.Succeeded, "UTRG4"))
	if err != nil || first.Outcome != store.OutcomeApplied {
		t.Fatalf("first delivery alone: %+v %v", first, err)
	}
	failed := event("g-e2", "sbx_G2", "G2", payout.Failed, "")
	failed.Observation.FailureCode, failed.Observation.FailureReason = "ACCOUNT_CLOSED", "Beneficiary account closed"
	other := event("g-e5", "sbx_G3", "G3", payout.Succeeded, "UTRG3")
	other.Observation.Amount = &payout.Money{Minor: 125000, Currency: "INR"} // ours is 1,250.50
	evs := []store.WebhookEvent{
		event("g-e1", "sbx_G1", "G1", payout.Succeeded, "UTRG1"),
		failed,
		event("g-e3", "sbx_GX", "GX", payout.Succeeded, "UTRGX"),
		event("g-e0", "sbx_G4", "G4", payout.Succeeded, "UTRG4"),
		other,
	}
	ds := make([]store.Delivery, len(evs))
	for i := range ds {
		ds[i] = delivery()
		ds[i].Body = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	res, errs := s.IngestGroup(ctx, nil, ds, evs)
	want := []string{store.OutcomeApplied, store.OutcomeApplied, store.OutcomeOrphan, store.OutcomeDuplicate, store.OutcomeApplied}
	for i := range res {
		if errs[i] != nil || res[i].Outcome != want[i] {
			t.Errorf("delivery %d: %+v %v, want %s", i, res[i], errs[i], want[i])
		}
		if i > 0 && res[i].DeliveryID <= res[i-1].DeliveryID {
			t.Errorf("delivery %d's id %d is not after %d's: ids follow the group's order", i, res[i].DeliveryID, i-1)
		}
	}
	if res[3].Detail != fmt.Sprintf("same event as delivery %d", first.DeliveryID) {
		t.Errorf("duplicate's detail %q", res[3].Detail)
	}
	for ref, st := range map[string]payout.Status{"G1": payout.Succeeded, "G2": payout.Failed, "G3": payout.Succeeded, "G4": payout.Succeeded} {
		p, err := s.PayoutByRef(ctx, ref, store.First(true))
		if err != nil || p.Status != st {
			t.Fatalf("%s: %+v %v, want %s", ref, p, err, st)
		}
		checkLedger(t, s, p, st)
		events, err := s.EventsFor(ctx, p.ID)
		if err != nil || len(events) != 1 || events[0].DeliveryID == nil {
			t.Errorf("%s: events %+v %v, want one linked to its delivery", ref, events, err)
		}
		entries, err := s.AuditFor(ctx, "payout", ref)
		if err != nil || len(entries) != 2 || entries[len(entries)-1].Action != "payout.observe" {
			t.Errorf("%s: %d audit entries (%v), want its creation and its observation", ref, len(entries), err)
		}
		ds, err := s.DeliveriesFor(ctx, p.ID)
		wantDs := map[string]int{"G4": 2}[ref]
		if wantDs == 0 {
			wantDs = 1
		}
		if err != nil || len(ds) != wantDs {
			t.Errorf("%s: %d deliveries, want %d (%v)", ref, len(ds), wantDs, err)
		}
		if ref == "G2" && (p.FailureCode != "ACCOUNT_CLOSED" || len(ds) != 1 || string(ds[0].Body) != `{"n":1}`) {
			t.Errorf("G2: failure %q, deliveries %+v", p.FailureCode, ds)
		}
		if ref == "G3" {
			cases, err := s.CasesFor(ctx, p.ID)
			if err != nil || len(cases) != 1 {
				t.Errorf("G3: cases %+v %v, want the amount's", cases, err)
			}
		}
	}
	// The orphan is applied when its payout appears, as one taken in alone.
	newPayout(t, s, "GX", payout.Processing)
	if p, _ := s.PayoutByRef(ctx, "GX", store.First(true)); p.Status != payout.Succeeded {
		t.Errorf("GX: %s, want the orphan applied", p.Status)
	}
}

// Two deliveries of one group about one payout under different names (the
// provider's payout id, our reference) are taken in again one at a time:
// the first applies, the second merges, one posting.
func TestAGroupAboutOnePayoutTwiceIsTakenInOneAtATime(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "G5", payout.Processing)
	ds := []store.Delivery{delivery(), delivery()}
	evs := []store.WebhookEvent{
		event("g5-a", "sbx_G5", "", payout.Succeeded, "UTRG5"),
		event("g5-b", "", "G5", payout.Succeeded, "UTRG5"),
	}
	res, errs := s.IngestGroup(ctx, nil, ds, evs)
	if errs[0] != nil || errs[1] != nil || res[0].Outcome != store.OutcomeApplied || res[1].Outcome != store.OutcomeMerged {
		t.Fatalf("outcomes %+v %v", res, errs)
	}
	p, _ := s.PayoutByRef(ctx, "G5", store.First(true))
	checkLedger(t, s, p, payout.Succeeded)
}

// groupsSeen is a store.GroupObserver that keeps what it is told.
type groupsSeen struct {
	mu         sync.Mutex
	deliveries []int
	took       []time.Duration
}

func (g *groupsSeen) ObserveGroup(deliveries int, took time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deliveries = append(g.deliveries, deliveries)
	g.took = append(g.took, took)
}

// With the writers on, deliveries arriving together — new events for many
// payouts, and one event delivered many times — are applied once each. The
// observer is told of every group: together they took in every delivery
// at least once (a group that fails is taken in again one at a time).
func TestGroupedWebhooksApplyOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	seen := &groupsSeen{}
	stop := s.GroupWebhooks(2, seen)
	defer stop()
	const payouts, repeats = 16, 6
	for i := range payouts {
		newPayout(t, s, fmt.Sprintf("GC%d", i), payout.Processing)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	start := make(chan struct{})
	for i := range payouts {
		for range repeats {
			wg.Go(func() {
				<-start
				ref := fmt.Sprintf("GC%d", i)
				res, err := s.IngestWebhook(ctx, delivery(), event("gc-"+ref, "sbx_"+ref, ref, payout.Succeeded, "UTR"+ref))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("%s: %v", ref, err)
				}
				outcomes[res.Outcome]++
			})
		}
	}
	close(start)
	wg.Wait()
	if outcomes[store.OutcomeApplied] != payouts || outcomes[store.OutcomeDuplicate] != payouts*(repeats-1) {
		t.Errorf("outcomes %v, want %d applied and the rest duplicates", outcomes, payouts)
	}
	seen.mu.Lock()
	observed := 0
	for i, n := range seen.deliveries {
		observed += n
		if n < 1 || n > 64 || seen.took[i] <= 0 {
			t.Errorf("group %d observed with %d deliveries in %v", i, n, seen.took[i])
		}
	}
	seen.mu.Unlock()
	if observed < payouts*repeats {
		t.Errorf("groups observed took in %d deliveries, want at least %d", observed, payouts*repeats)
	}
	for i := range payouts {
		p, _ := s.PayoutByRef(ctx, fmt.Sprintf("GC%d", i), store.First(true))
		checkLedger(t, s, p, payout.Succeeded)
		if ds, err := s.DeliveriesFor(ctx, p.ID); err != nil || len(ds) != repeats {
			t.Errorf("%s: %d deliveries, want %d (%v)", p.ReferenceID, len(ds), repeats, err)
		}
	}
}

// A delivery whose request ended while it waited for a writer (the endpoint
// has answered 503, and the provider will send it again) is not taken in;
// the rest of its group is.
func TestAGroupLeavesOutADeliveryAlreadyAnswered(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "G6", payout.Processing)
	newPayout(t, s, "G7", payout.Processing)
	ended, cancel := context.WithCancel(ctx)
	cancel()
	res, errs := s.IngestGroup(ctx, []context.Context{ended, ctx}, []store.Delivery{delivery(), delivery()}, []store.WebhookEvent{
		event("g6", "sbx_G6", "G6", payout.Succeeded, "UTRG6"), event("g7", "sbx_G7", "G7", payout.Succeeded, "UTRG7")})
	if !errors.Is(errs[0], context.Canceled) || errs[1] != nil || res[1].Outcome != store.OutcomeApplied {
		t.Fatalf("outcomes %+v %v", res, errs)
	}
	for ref, want := range map[string]payout.Status{"G6": payout.Processing, "G7": payout.Succeeded} {
		p, _ := s.PayoutByRef(ctx, ref, store.First(true))
		ds, _ := s.DeliveriesFor(ctx, p.ID)
		if p.Status != want || (want == payout.Processing) != (len(ds) == 0) {
			t.Errorf("%s: %s with %d deliveries, want %s", ref, p.Status, len(ds), want)
		}
	}
}

// A group writes its outbound events together (outbox_payout_events), each
// as a delivery taken in alone writes it: for the endpoints subscribed to
// its type, in the group's order, with its payout (ledger included) as of
// the commit; a delivery that changes nothing writes none.
func TestAGroupWritesItsOutboundEventsTogether(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	ps := map[string]store.Payout{}
	for _, ref := range []string{"O1", "O2", "O3", "O4"} {
		ps[ref] = newPayout(t, s, ref, payout.Processing)
	}
	all := addEndpoint(t, s)
	succeeded := addEndpoint(t, s, payout.EventPayoutSucceeded)
	failed := event("o-e2", "sbx_O2", "O2", payout.Failed, "")
	failed.Observation.FailureCode, failed.Observation.FailureReason = "ACCOUNT_CLOSED", "Beneficiary account closed"
	evs := []store.WebhookEvent{
		event("o-e1", "sbx_O1", "O1", payout.Succeeded, "UTRO1"),
		failed,
		event("o-e4", "sbx_O4", "O4", payout.Processing, ""), // no change
		event("o-e3", "sbx_O3", "O3", payout.Succeeded, "UTRO3"),
	}
	ds := make([]store.Delivery, len(evs))
	for i := range ds {
		ds[i] = delivery()
		ds[i].Body = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	_, errs := s.IngestGroup(ctx, nil, ds, evs)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := "payout.succeeded:O1 payout.failed:O2 payout.succeeded:O3"
	if got := strings.Join(eventTypes(t, s, all.ID), " "); got != want {
		t.Errorf("every type:\n got %s\nwant %s", got, want)
	}
	if got := strings.Join(eventTypes(t, s, succeeded.ID), " "); got != "payout.succeeded:O1 payout.succeeded:O3" {
		t.Errorf("payout.succeeded only: %s", got)
	}
	api := map[string]bool{}
	for _, ref := range []string{"O1", "O3"} {
		api[apiJSON(t, s, ps[ref])] = true
	}
	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("claimed %d deliveries (%v), want 5", len(claimed), err)
	}
	for _, c := range claimed {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(c.Body), &env); err != nil {
			t.Fatal(err)
		}
		switch {
		case c.Type == payout.EventPayoutSucceeded && !api[string(env.Data)]:
			t.Errorf("%s's data is no succeeded payout as the API shows it now:\n%s", c.Type, env.Data)
		case c.Type != payout.EventPayoutSucceeded && !strings.Contains(string(env.Data), `"failure_code":"ACCOUNT_CLOSED"`):
			t.Errorf("%s's data is not O2 failed:\n%s", c.Type, env.Data)
		}
	}
}
