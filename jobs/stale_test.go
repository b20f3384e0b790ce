package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
