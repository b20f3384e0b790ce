package store

import (
	"hash/maphash"
	"testing"

	"payops/payout"
)

// The records' index finds the first record naming an id, by the id's hash
// checked against the record, and by name for an id whose hash another id
// had first.
func TestPPIDIndex(t *testing.T) {
	records := []payout.ProviderRecord{{ProviderPayoutID: "A"}, {ProviderPayoutID: ""}, {ProviderPayoutID: "B"},
		{ProviderPayoutID: "A"}, {ProviderPayoutID: "C"}}
	x := newPPIDIndex(records)
	for id, want := range map[string]int{"A": 0, "B": 2, "C": 4, "": -1, "D": -1} {
		if got := orNone(x.first(id)); got != want {
			t.Errorf("first(%q) = %d, want %d", id, got, want)
		}
		if got := orNone(x.firstOf([]byte(id))); got != want {
			t.Errorf("firstOf(%q) = %d, want %d", id, got, want)
		}
	}
	// A clash: C's hash leads to A's record; C is kept by name.
	x.byHash[maphash.String(x.seed, "C")] = 0
	x.clash = map[string]int{"C": 4}
	if got := orNone(x.first("C")); got != 4 {
		t.Errorf("first(C) after a clash = %d, want 4", got)
	}
	if got := orNone(x.firstOf([]byte("C"))); got != 4 {
		t.Errorf("firstOf(C) after a clash = %d, want 4", got)
	}
}
