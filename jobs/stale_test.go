package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/sandbox"
	"payops/jobs"
	"payops/payout"
	"payops/store/pgtest"
)

// The sandbox sends no webhooks here (they are all dropped): the stale
// re-check alone brings every payout to the state the sandbox reports.
func TestStaleRecheckConvergesWithoutWebhooks(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandbox(t, 300*time.Millisecond)
	want := map[sandbox.Fate]payout.Status{sandbox.Success: payout.Succeeded, sandbox.Failure: payout.Failed,
		sandbox.Stuck: payout.Processing, sandbox.Reversal: payout.Reversed}
	const n = 30
	for i := range n {
		intake(t, s, payout.Policy{}, fmt.Sprintf("STALE-%02d", i), "sandbox", 100000)
	}
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet}
	if sent, err := w.RunOnce(ctx); err != nil || sent != n {
		t.Fatalf("sent %d: %v", sent, err)
	}
	time.Sleep(400 * time.Millisecond) // the sandbox settles them; no webhook comes

	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: reg, Log: quiet}, Log: quiet,
		After: time.Millisecond, Batch: 7, PerSecond: 1000}
	out, err := stale.Run(ctx)
	if err != nil || out.Examined != n {
		t.Fatalf("re-check examined %d of %d: %v", out.Examined, n, err)
	}
	fates := map[sandbox.Fate]int{}
	for i := range n {
		ref := fmt.Sprintf("STALE-%02d", i)
		p := payoutOf(t, s, ref)
		fate := sandbox.FateOf(42, sandbox.PayoutIDFor(ref))
		fates[fate]++
		if p.Status != want[fate] || p.LastCheckedAt == nil {
			t.Errorf("%s (%s): %s, want %s", ref, fate, p.Status, want[fate])
		}
	}
	if out.Changed != n { // all were QUEUED: even the stuck ones moved, to PROCESSING
		t.Errorf("changed %d, want %d", out.Changed, n)
	}
	// A second run finds the stuck ones again and changes nothing.
	again, err := stale.Run(ctx)
	if err != nil || again.Changed != 0 || again.Examined != fates[sandbox.Stuck] {
		t.Fatalf("second run: %+v %v (stuck: %d)", again, err, fates[sandbox.Stuck])
	}
}

// A payout the provider reverses after paying it, with the reversal's
// webhook lost: the re-check asks again about recently succeeded payouts and
// finds it. Outside the window, or with none, it is not asked again.
func TestStaleRecheckFindsLateReversals(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	const reverseAfter = 600 * time.Millisecond
	sb := httptest.NewServer(sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s",
		SettleAfter: 100 * time.Millisecond, Chaos: &sandbox.Chaos{ReverseAfter: reverseAfter}}))
	t.Cleanup(sb.Close)
	reg := sandboxRegistry(sb.URL)
	var reversing []string
	stuck := 0
	for i := 0; len(reversing) < 3; i++ {
		ref := fmt.Sprintf("LATE-%02d", i)
		intake(t, s, payout.Policy{}, ref, "sandbox", 100000)
		switch sandbox.FateOf(42, sandbox.PayoutIDFor(ref)) {
		case sandbox.Reversal:
			reversing = append(reversing, ref)
		case sandbox.Stuck:
			stuck++ // open: asked about on every run
		}
	}
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet}
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // settled: the reversing ones say SUCCESS for now
	rc := &jobs.Rechecker{Store: s, Providers: reg, Log: quiet}
	stale := &jobs.StaleRecheck{Store: s, Rechecker: rc, Log: quiet, After: time.Millisecond, PerSecond: 1000}
	if _, err := stale.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ref := range reversing {
		if p := payoutOf(t, s, ref); p.Status != payout.Succeeded {
			t.Fatalf("%s: %s before the reversal, want SUCCEEDED", ref, p.Status)
		}
	}
	time.Sleep(reverseAfter)

	// The open payouts' run, or the settled one without a window, does not
	// ask about succeeded payouts again.
	if out, err := stale.Run(ctx); err != nil || out.Changed != 0 {
		t.Fatalf("open payouts' run: %+v %v", out, err)
	}
	if out, err := stale.RunSettled(ctx); err != nil || out.Examined != 0 {
		t.Fatalf("without a window: %+v %v", out, err)
	}
	stale.SettledWindow = time.Hour
	out, err := stale.RunSettled(ctx)
	if err != nil || out.Changed != len(reversing) {
		t.Fatalf("with a window: %+v %v, want %d changed", out, err, len(reversing))
	}
	for _, ref := range reversing {
		if p := payoutOf(t, s, ref); p.Status != payout.Reversed {
			t.Errorf("%s: %s, want REVERSED", ref, p.Status)
		}
	}
	// Just checked, a succeeded payout is not due again until its age doubles.
	if again, err := stale.RunSettled(ctx); err != nil || again.Examined != 0 {
		t.Errorf("right after: examined %d (%v), want 0", again.Examined, err)
	}
	if open, err := stale.Run(ctx); err != nil || open.Examined != stuck {
		t.Errorf("open payouts' run examined %d (%v), want the %d stuck", open.Examined, err, stuck)
	}
}

// A settled payout's look that fails (the provider is down) does not count
// as a look: it is tried again after After, not at twice the payout's age,
// which could be past its window (make drill found a reversal missed so).
func TestSettledRecheckRetriesAFailedLook(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	const reverseAfter = 300 * time.Millisecond
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s",
		SettleAfter: 50 * time.Millisecond, Chaos: &sandbox.Chaos{ReverseAfter: reverseAfter}})
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	reg := sandboxRegistry(srv.URL)
	var reversing []string
	for i := 0; len(reversing) < 2; i++ {
		ref := fmt.Sprintf("RETRY-%02d", i)
		if sandbox.FateOf(42, sandbox.PayoutIDFor(ref)) == sandbox.Reversal {
			intake(t, s, payout.Policy{}, ref, "sandbox", 100000)
			reversing = append(reversing, ref)
		}
	}
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet}
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: reg, Log: quiet}, Log: quiet,
		After: 50 * time.Millisecond, PerSecond: 1000, SettledWindow: time.Hour}
	if out, err := stale.Run(ctx); err != nil || out.Changed != len(reversing) {
		t.Fatalf("open run: %+v %v", out, err)
	}
	for _, ref := range reversing {
		if p := payoutOf(t, s, ref); p.Status != payout.Succeeded {
			t.Fatalf("%s: %s, want SUCCEEDED before the reversal", ref, p.Status)
		}
	}

	// At about a second old the provider is down for the first look; the
	// reversals happen meanwhile.
	time.Sleep(time.Second)
	down.Store(true)
	if out, err := stale.RunSettled(ctx); err != nil || out.Examined != len(reversing) || out.Changed != 0 {
		t.Fatalf("look while down: %+v %v", out, err)
	}
	down.Store(false)
	// Well before twice that age, once After has passed, they are asked again.
	time.Sleep(100 * time.Millisecond)
	out, err := stale.RunSettled(ctx)
	if err != nil || out.Changed != len(reversing) {
		t.Fatalf("look after the outage: %+v %v, want %d changed", out, err, len(reversing))
	}
	for _, ref := range reversing {
		if p := payoutOf(t, s, ref); p.Status != payout.Reversed {
			t.Errorf("%s: %s, want REVERSED", ref, p.Status)
		}
	}
}

// A provider that answers nothing is asked about a handful of its stale
// payouts a run, not every one (each waiting out a failure): the rest stay
// stale for the next run, and answer then.
func TestStaleRecheckStopsAskingAProviderThatAnswersNothing(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandbox(t, time.Millisecond)
	const n = 30
	for i := range n {
		intake(t, s, payout.Policy{}, fmt.Sprintf("DOWN-%02d", i), "sandbox", 100000)
	}
	if sent, err := (&jobs.Submitter{Store: s, Providers: reg, Log: quiet}).RunOnce(ctx); err != nil || sent != n {
		t.Fatalf("sent %d: %v", sent, err)
	}
	var asked atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	downReg := sandboxRegistry(down.URL)
	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: downReg, Log: quiet}, Log: quiet,
		After: time.Millisecond, Batch: 50, PerSecond: 1000, Concurrency: 1}
	if _, err := stale.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var checked int
	s.DB().Get(&checked, `SELECT count(*) FROM payouts WHERE last_checked_at IS NOT NULL`)
	if checked > 5 || checked == 0 {
		t.Errorf("%d of %d payouts asked about while the provider answers nothing, want 5", checked, n)
	}
	stale.Rechecker.Providers = reg
	// Well past After since the first run's last look: a payout it asked
	// about in its last millisecond is stale again too (it flaked at 29 of
	// 30 with 5 ms on a loaded machine).
	time.Sleep(200 * time.Millisecond)
	if out, err := stale.Run(ctx); err != nil || out.Examined != n {
		t.Errorf("once it answers: examined %d (%v), want all %d", out.Examined, err, n)
	}
}

// A provider not configured here is not asked about its stale payouts: it
// can only fail (and each run would log it as answering nothing).
func TestStaleRecheckLeavesUnconfiguredProvidersAlone(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandbox(t, time.Millisecond)
	intake(t, s, payout.Policy{}, "GONE-1", "sandbox", 100000)
	if sent, err := (&jobs.Submitter{Store: s, Providers: reg, Log: quiet}).RunOnce(ctx); err != nil || sent != 1 {
		t.Fatalf("sent %d: %v", sent, err)
	}
	none := adapters.Registry{} // the sandbox no longer configured
	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: none, Log: quiet}, Log: quiet,
		After: time.Millisecond, PerSecond: 1000}
	time.Sleep(5 * time.Millisecond)
	if out, err := stale.Run(ctx); err != nil || out.Examined != 0 {
		t.Errorf("examined %d (%v), want none", out.Examined, err)
	}
}
