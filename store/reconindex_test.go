package store

import (
	"fmt"
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
	}
	// A clash: C's hash leads to A's record; C is kept by name.
	for k := range x.slots {
		if x.slots[k].rec == 5 {
			x.slots[k].rec = 1
		}
	}
	x.clash = map[string]int{"C": 4}
	if got := orNone(x.first("C")); got != 4 {
		t.Errorf("first(C) after a clash = %d, want 4", got)
	}
}

// A full table's lookups walk past the slots taken before theirs: every id
// of many is found at its first record, and ids never seen are not found.
func TestPPIDIndexProbes(t *testing.T) {
	var records []payout.ProviderRecord
	for i := range 5000 {
		records = append(records, payout.ProviderRecord{ProviderPayoutID: fmt.Sprintf("pp-%d", i%4000)})
	}
	x := newPPIDIndex(records)
	if len(x.slots) < 2*len(records) {
		t.Fatalf("%d slots for %d records", len(x.slots), len(records))
	}
	for i := range 4000 {
		if got := orNone(x.first(fmt.Sprintf("pp-%d", i))); got != i {
			t.Fatalf("first(pp-%d) = %d", i, got)
		}
	}
	for i := 4000; i < 9000; i++ {
		if got := orNone(x.first(fmt.Sprintf("pp-%d", i))); got != -1 {
			t.Fatalf("first(pp-%d) = %d, want none", i, got)
		}
	}
}
