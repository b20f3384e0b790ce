package payout

import "testing"

func TestDecide(t *testing.T) {
	tests := []struct {
		current, observed Status
		want              Decision
	}{
		{Queued, Queued, Merge},
		{Queued, Processing, Apply},
		{Queued, Succeeded, Apply},
		{Queued, Failed, Apply},
		{Queued, Cancelled, Apply},
		{Queued, Reversed, Apply},
		{Processing, Queued, Stale},
		{Processing, Processing, Merge},
		{Processing, Succeeded, Apply},
		{Processing, Failed, Apply},
		{Processing, Cancelled, Apply},
		{Succeeded, Reversed, Apply},
		{Failed, Reversed, Apply},
		{Succeeded, Succeeded, Merge},
		{Succeeded, Processing, Stale},
		{Succeeded, Queued, Stale},
		{Failed, Processing, Stale},
		{Succeeded, Failed, Anomaly},
		{Failed, Succeeded, Anomaly},
		{Succeeded, Cancelled, Anomaly},
		{Cancelled, Succeeded, Anomaly},
		{Cancelled, Processing, Anomaly},
		{Cancelled, Reversed, Anomaly},
		{Cancelled, Cancelled, Merge},
		{Cancelled, Queued, Stale},
		{Cancelled, Failed, Anomaly},
		{Reversed, Succeeded, Stale},
		{Reversed, Processing, Stale},
		{Reversed, Queued, Stale},
		{Reversed, Failed, Stale},
		{Reversed, Cancelled, Anomaly},
		{Reversed, Reversed, Merge},
		{Held, Succeeded, Anomaly},
		{Queued, Held, Anomaly},
		{Queued, Status("BOGUS"), Anomaly},
	}
	for _, tt := range tests {
		if got := Decide(tt.current, tt.observed); got != tt.want {
			t.Errorf("Decide(%s, %s) = %s, want %s", tt.current, tt.observed, got, tt.want)
		}
	}
}

// Whatever order a payout's provider-reported states arrive in, applying the
// rule to each in turn ends in the same state when the sequence is a real
// life (no contradictory outcomes), and no report of it is an anomaly: a
// webhook late or out of order is the provider's history, not a
// contradiction for an operator to look at.
func TestDecideOrderIndependent(t *testing.T) {
	lives := [][]Status{
		{Queued, Processing, Succeeded},
		{Queued, Processing, Failed},
		{Queued, Processing, Succeeded, Reversed},
		{Queued, Processing, Failed, Reversed},
		{Queued, Cancelled},
	}
	for _, life := range lives {
		want := life[len(life)-1]
		permute(life, func(order []Status) {
			cur := Queued
			for _, obs := range order {
				switch Decide(cur, obs) {
				case Apply:
					cur = obs
				case Anomaly:
					t.Errorf("order %v: %s after %s is an anomaly", order, obs, cur)
				}
			}
			if cur != want {
				t.Errorf("order %v ended in %s, want %s", order, cur, want)
			}
		})
	}
}

func permute(s []Status, f func([]Status)) {
	var rec func(int)
	a := append([]Status(nil), s...)
	rec = func(k int) {
		if k == len(a) {
			f(a)
			return
		}
		for i := k; i < len(a); i++ {
			a[k], a[i] = a[i], a[k]
			rec(k + 1)
			a[k], a[i] = a[i], a[k]
		}
	}
	rec(0)
}

func TestParseStatus(t *testing.T) {
	for _, s := range Statuses {
		got, err := ParseStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseStatus("success"); err == nil {
		t.Error("ParseStatus(success) accepted a provider word")
	}
}

// Only the reconciler's poll that repeats the known state and learns
// nothing stays out of the history.
func TestRecorded(t *testing.T) {
	tests := []struct {
		source  Source
		d       Decision
		learned bool
		want    bool
	}{
		{SourcePoll, Merge, false, false}, // "provider says PROCESSING, unchanged", again
		{SourcePoll, Merge, true, true},   // a UTR, a fee, the provider's sub-state
		{SourcePoll, Apply, false, true},
		{SourcePoll, Stale, false, true},
		{SourcePoll, Anomaly, false, true},
		{SourceManual, Merge, false, true}, // someone pressed Re-check
		{SourceWebhook, Merge, false, true},
		{SourceSystem, Merge, false, true},
	}
	for _, tt := range tests {
		if got := Recorded(tt.source, tt.d, tt.learned); got != tt.want {
			t.Errorf("Recorded(%s, %s, learned %v) = %v, want %v", tt.source, tt.d, tt.learned, got, tt.want)
		}
	}
}

// A failed look stays out of the history only when it is the reconciler's
// and the look before failed for the same reason.
func TestFailureRecorded(t *testing.T) {
	tests := []struct {
		source     Source
		sameAsLast bool
		want       bool
	}{
		{SourcePoll, true, false},
		{SourcePoll, false, true},
		{SourceManual, true, true},
		{SourceManual, false, true},
	}
	for _, tt := range tests {
		if got := FailureRecorded(tt.source, tt.sameAsLast); got != tt.want {
			t.Errorf("FailureRecorded(%s, same as last %v) = %v, want %v", tt.source, tt.sameAsLast, got, tt.want)
		}
	}
}

// RazorpayX's processed is a last state (seed 003): its reversal after
// success is an anomaly, while Xendit's and Paywize's, which their documents
// describe, applies; everything else is Decide's.
func TestDecideForAProvidersLastStates(t *testing.T) {
	if got := DecideFor("razorpayx", Succeeded, Reversed); got != Anomaly {
		t.Errorf("RazorpayX reversed after processed: %s, want anomaly", got)
	}
	for _, p := range []string{"xendit", "paywize", "nxtbanking", "sandbox"} {
		if got := DecideFor(p, Succeeded, Reversed); got != Apply {
			t.Errorf("%s reversed after success: %s, want apply", p, got)
		}
	}
	if got := DecideFor("razorpayx", Processing, Reversed); got != Apply {
		t.Errorf("RazorpayX reversed while processing: %s, want apply", got)
	}
	if got := DecideFor("razorpayx", Failed, Reversed); got != Apply {
		t.Errorf("RazorpayX reversed after failed: %s, want apply", got)
	}
}

// A held payout the provider may have (its last submission's outcome is
// unknown) takes what the provider says of it; one never sent does not.
func TestDecideHeld(t *testing.T) {
	for _, tt := range []struct {
		observed Status
		mayHave  bool
		want     Decision
	}{
		{Succeeded, true, Apply}, {Processing, true, Apply}, {Failed, true, Apply}, {Queued, true, Apply},
		{Reversed, true, Apply}, {Held, true, Anomaly}, {Status("WEIRD"), true, Anomaly},
		{Succeeded, false, Anomaly}, {Queued, false, Anomaly}, {Failed, false, Anomaly},
	} {
		if got := DecideHeld("razorpayx", tt.observed, tt.mayHave); got != tt.want {
			t.Errorf("HELD, may have %v, observed %s: %s, want %s", tt.mayHave, tt.observed, got, tt.want)
		}
	}
}
