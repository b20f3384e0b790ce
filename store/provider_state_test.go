package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// queuedFor records a QUEUED payout to provider in mode, as the API does.
func queuedFor(t *testing.T, s *store.Store, ref, provider, mode string) {
	t.Helper()
	req := payout.Request{ReferenceID: ref, Provider: provider, AmountMinor: 100000, Currency: "INR", Mode: mode,
		Market: "IN", Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if _, err := s.Intake(context.Background(), req, payout.Policy{}, store.Actor{Name: "api:test"}); err != nil {
		t.Fatal(err)
	}
}

// claimRefs claims what is due (up to 10) and returns the references.
func claimRefs(t *testing.T, s *store.Store) []string {
	t.Helper()
	subs, err := s.ClaimForSubmit(context.Background(), 10, time.Minute, payout.Policy{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sub := range subs {
		out = append(out, sub.ReferenceID)
	}
	slices.Sort(out)
	return out
}

func TestBreakerPausesProbesAndCloses(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	b := store.Breaker{Threshold: 3, Cooldown: 500 * time.Millisecond}
	refs := []string{"BRK-1", "BRK-2", "BRK-3", "BRK-4"}
	for _, ref := range refs {
		queuedFor(t, s, ref, "sandbox", "IMPS")
	}
	fail := func() {
		t.Helper()
		if err := s.RecordProviderOutcome(ctx, "sandbox", true, "sandbox: transient (HTTP 503): upstream", b); err != nil {
			t.Fatal(err)
		}
	}
	// Two in a row leave it closed; the third opens it.
	fail()
	fail()
	if p, err := s.Pauses(ctx); err != nil || len(p) != 0 {
		t.Fatalf("after 2 failures: pauses %v %v, want none", p, err)
	}
	fail()
	pauses, err := s.Pauses(ctx)
	if err != nil || len(pauses) != 1 || pauses[0].Kind != "breaker" || pauses[0].Provider != "sandbox" {
		t.Fatalf("after 3 failures: pauses %+v %v, want the breaker", pauses, err)
	}
	if got := claimRefs(t, s); len(got) != 0 {
		t.Fatalf("claimed %v while the breaker is open", got)
	}
	// Past the cooldown: one probe at a time, however many are due.
	time.Sleep(600 * time.Millisecond)
	if got := claimRefs(t, s); len(got) != 1 {
		t.Fatalf("half-open: claimed %v, want one probe", got)
	}
	if got := claimRefs(t, s); len(got) != 0 {
		t.Fatalf("a second probe went while the first is out: %v", got)
	}
	// The probe held before it was sent (funding): the next one may go.
	if err := s.ReleaseProbe(ctx, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if got := claimRefs(t, s); len(got) != 1 {
		t.Fatalf("after the probe was released: claimed %v, want one probe", got)
	}
	// The probe fails: open again at once, for the cooldown.
	fail()
	time.Sleep(100 * time.Millisecond)
	if got := claimRefs(t, s); len(got) != 0 {
		t.Fatalf("claimed %v after the probe failed", got)
	}
	time.Sleep(600 * time.Millisecond)
	if got := claimRefs(t, s); len(got) != 1 {
		t.Fatalf("second probe: claimed %v, want one", got)
	}
	// The probe succeeds: closed, the rest goes.
	if err := s.RecordProviderOutcome(ctx, "sandbox", false, "", b); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Pauses(ctx); err != nil || len(p) != 0 {
		t.Fatalf("after success: pauses %v %v, want none", p, err)
	}
	if got := claimRefs(t, s); len(got) != 1 {
		t.Fatalf("after success: claimed %v, want the last payout", got)
	}
	hs, err := s.ProvidersHealth(ctx, []string{"sandbox"}, time.Now())
	if err != nil || len(hs) != 1 || hs[0].ConsecutiveFailures != 0 || hs[0].BreakerRetryAt != nil {
		t.Fatalf("health %+v %v, want the breaker closed", hs, err)
	}
	// Every payout is still there: paused ones stayed QUEUED.
	for _, ref := range refs {
		if p, err := s.PayoutByRef(ctx, ref, store.First(true)); err != nil || p.Status != payout.Queued {
			t.Errorf("%s: %v %v, want QUEUED", ref, p.Status, err)
		}
	}
}

func TestDowntimePausesItsModeUntilResolved(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	queuedFor(t, s, "DT-IMPS", "razorpayx", "IMPS")
	queuedFor(t, s, "DT-NEFT", "razorpayx", "NEFT")
	queuedFor(t, s, "DT-OTHER", "sandbox", "NEFT")
	started := time.Now().Add(-time.Minute)
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", ID: "pdown_1", Mode: "neft", Detail: "HDFC NEFT down",
		At: started}, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Recording the same notice again changes nothing.
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", ID: "pdown_1", Mode: "NEFT", At: started}, time.Hour); err != nil {
		t.Fatal(err)
	}
	pauses, err := s.Pauses(ctx)
	if err != nil || len(pauses) != 1 {
		t.Fatalf("pauses %+v %v, want one", pauses, err)
	}
	if p, ok := store.PauseFor(pauses, "razorpayx", "NEFT"); !ok || p.Kind != "downtime" || p.Mode != "NEFT" {
		t.Fatalf("pause for razorpayx NEFT: %+v %v", p, ok)
	}
	if _, ok := store.PauseFor(pauses, "razorpayx", "IMPS"); ok {
		t.Fatal("IMPS is paused by a NEFT downtime")
	}
	if got, want := claimRefs(t, s), []string{"DT-IMPS", "DT-OTHER"}; !slices.Equal(got, want) {
		t.Fatalf("during the NEFT downtime: claimed %v, want %v", got, want)
	}
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", ID: "pdown_1", Resolved: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := claimRefs(t, s), []string{"DT-NEFT"}; !slices.Equal(got, want) {
		t.Fatalf("after resolution: claimed %v, want %v", got, want)
	}
	// A start older than the resolution of the same downtime (out of
	// order) does not pause again.
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", ID: "pdown_1", Mode: "NEFT", At: started}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Pauses(ctx); err != nil || len(p) != 0 {
		t.Fatalf("a stale start paused again: %+v %v", p, err)
	}
}

func TestDowntimeEndsAtItsMaximum(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	queuedFor(t, s, "MAX-1", "razorpayx", "IMPS")
	// A notice without id or mode pauses every mode, here for 1 s at most.
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx"}, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := claimRefs(t, s); len(got) != 0 {
		t.Fatalf("claimed %v during the downtime", got)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := claimRefs(t, s); !slices.Equal(got, []string{"MAX-1"}) {
		t.Fatalf("after the maximum: claimed %v, want MAX-1", got)
	}
	// A resolution later closes it; a new start (later) opens it again.
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", Resolved: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", At: time.Now().Add(time.Second)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Pauses(ctx); err != nil || len(p) != 1 || p[0].Mode != "" {
		t.Fatalf("a new downtime after the resolution: %+v %v", p, err)
	}
}

func TestCallStatsAddUpAcrossFlushes(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().UTC().Truncate(time.Minute)
	batch := []store.CallStat{
		{Provider: "xendit", Minute: now, Operation: "submit", ErrorClass: "none", Calls: 9, TotalMS: 900, MaxMS: 300},
		{Provider: "xendit", Minute: now, Operation: "submit", ErrorClass: "transient", Calls: 1, TotalMS: 10000, MaxMS: 10000},
		{Provider: "xendit", Minute: now, Operation: store.WebhookOperation, ErrorClass: store.OutcomeRejected, Calls: 2},
	}
	for range 2 { // two instances
		if err := s.AddCallStats(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	hs, err := s.ProvidersHealth(ctx, nil, now.Add(30*time.Second))
	if err != nil || len(hs) != 1 {
		t.Fatalf("health %+v %v", hs, err)
	}
	h := hs[0]
	if h.Calls != 20 || h.OK != 18 || h.Transient != 2 || h.MaxMS != 10000 || h.MeanMS != 1090 {
		t.Errorf("calls %d ok %d transient %d max %d mean %d", h.Calls, h.OK, h.Transient, h.MaxMS, h.MeanMS)
	}
	if h.Rejected24h != 4 || h.LastWebhook == nil || len(h.Classes) != 1 || h.Classes[0].Calls != 2 {
		t.Errorf("webhooks: rejected %d last %v classes %+v", h.Rejected24h, h.LastWebhook, h.Classes)
	}
	if n, err := s.PruneCallStats(ctx, now.Add(time.Minute)); err != nil || n != 3 {
		t.Errorf("pruned %d %v, want 3", n, err)
	}
}

func TestPausedPayoutsAreNotTheProvidersDelay(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	queuedFor(t, s, "PS-1", "razorpayx", "IMPS")
	stuck := func() int {
		t.Helper()
		counts, err := s.StuckByProvider(ctx, time.Now().Add(time.Second), 1)
		if err != nil {
			t.Fatal(err)
		}
		return len(counts)
	}
	if stuck() != 1 {
		t.Fatal("an unsent queued payout is not counted stuck")
	}
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "razorpayx", Mode: "IMPS"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := stuck(); n != 0 {
		t.Fatalf("a payout held back by a downtime counts against the provider (%d)", n)
	}
}

// A probe payout held by a gate at its claim probes nothing: the next due
// payout of the provider probes in the same claim, instead of the breaker
// waiting out the held one's lease.
func TestAProbeHeldAtItsClaimLetsTheNextProbe(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	b := store.Breaker{Threshold: 1, Cooldown: 100 * time.Millisecond}
	queuedFor(t, s, "PRB-1", "sandbox", "IMPS")
	queuedFor(t, s, "PRB-2", "sandbox", "IMPS")
	// PRB-1's tax certificate lapses after intake: the claim's gates hold it.
	s.DB().MustExec(`UPDATE beneficiaries SET tax_artifact = 'expired'
		WHERE id = (SELECT beneficiary_id FROM payouts WHERE reference_id = 'PRB-1')`)
	if err := s.RecordProviderOutcome(ctx, "sandbox", true, "sandbox: transient (HTTP 503)", b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := claimRefs(t, s); !slices.Equal(got, []string{"PRB-2"}) {
		t.Fatalf("claimed %v, want PRB-2 as the probe once PRB-1 was held", got)
	}
	if p, err := s.PayoutByRef(ctx, "PRB-1", store.First(true)); err != nil || p.Status != payout.Held {
		t.Errorf("PRB-1: %v %v, want HELD", p.Status, err)
	}
}

// A drill's payout left QUEUED when its drill ended is not sent again (to
// the next drill's sandbox); one of the running drill, or of a drill with
// no run (make drill's supervisor), is.
func TestAnEndedDrillsPayoutsAreNotClaimed(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	by := store.Actor{Name: "admin@example.com"}
	ended, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 1}, by)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDrillRun(ctx, ended.ID, store.DrillFailed, nil, "timed out"); err != nil {
		t.Fatal(err)
	}
	running, err := s.StartDrillRun(ctx, store.NewDrillRun{Scenario: "happy", Payouts: 1}, by)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{fmt.Sprintf("DRILL%d-00001", ended.ID), fmt.Sprintf("DRILL%d-00001", running.ID), "SUPERVISED-00001"} {
		queuedFor(t, s, ref, payout.DrillProvider, "IMPS")
	}
	got := claimRefs(t, s)
	want := []string{fmt.Sprintf("DRILL%d-00001", running.ID), "SUPERVISED-00001"}
	if !slices.Equal(got, want) {
		t.Errorf("claimed %v, want %v: not the ended drill's payout", got, want)
	}
}
