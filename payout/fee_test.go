package payout

import (
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
)

func TestCompareFee(t *testing.T) {
	minor := func(v int64) *int64 { return &v }
	tests := []struct {
		name         string
		ours, theirs *int64
		sameCurrency bool
		want         FeeCheck
	}{
		{"neither side has a fee", nil, nil, true, FeeCheck{}},
		{"the provider reports none", minor(500), nil, true, FeeCheck{}},
		{"the provider reports none, in another currency", minor(500), nil, false, FeeCheck{}},
		{"none recorded, 0.00 reported", nil, minor(0), true, FeeCheck{}},
		{"0.00 recorded, 0.00 reported", minor(0), minor(0), true, FeeCheck{}},
		{"none recorded, 5.00 reported", nil, minor(500), true, FeeCheck{Theirs: 500, Differs: true}},
		{"0.00 recorded, 5.00 reported", minor(0), minor(500), true, FeeCheck{Theirs: 500, Differs: true}},
		{"equal", minor(500), minor(500), true, FeeCheck{Ours: 500, Theirs: 500}},
		{"more reported", minor(500), minor(700), true, FeeCheck{Ours: 500, Theirs: 700, Differs: true}},
		{"less reported", minor(700), minor(500), true, FeeCheck{Ours: 700, Theirs: 500, Differs: true}},
		{"5.00 recorded, 0.00 reported", minor(500), minor(0), true, FeeCheck{Ours: 500, Differs: true}},
		{"other currency, equal units", minor(500), minor(500), false, FeeCheck{Ours: 500, Theirs: 500}},
		{"other currency, other units", minor(500), minor(700), false, FeeCheck{Ours: 500, Theirs: 700}},
	}
	for _, tt := range tests {
		if got := CompareFee(tt.ours, tt.theirs, tt.sameCurrency); got != tt.want {
			t.Errorf("%s: CompareFee = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// What a payout adds to the fee totals is a fee difference exactly when
// the two sides' additions differ, in one currency: so a day's fee totals
// of a currency disagree only if one of its payouts differs (or is in two
// currencies, or missing on one side: store's property test covers those).
func TestCompareFeeCountsWhatItCompares(t *testing.T) {
	prop := func(ours, theirs int64, oursSet, theirsSet, same bool) bool {
		var o, th *int64
		if oursSet {
			o = &ours
		}
		if theirsSet {
			th = &theirs
		}
		c := CompareFee(o, th, same)
		switch {
		case !theirsSet:
			return c == FeeCheck{}
		case same:
			return c.Differs == (c.Ours != c.Theirs) && c.Theirs == theirs && (!oursSet || c.Ours == ours)
		default:
			return !c.Differs
		}
	}
	// Fees from a few small values, so that zero and equal fees come often.
	fees := []int64{0, 0, 1, 500, 500, 700, MaxSettlementMinor}
	values := func(args []reflect.Value, r *rand.Rand) {
		args[0] = reflect.ValueOf(fees[r.Intn(len(fees))])
		args[1] = reflect.ValueOf(fees[r.Intn(len(fees))])
		for k := 2; k < 5; k++ {
			args[k] = reflect.ValueOf(r.Intn(2) == 0)
		}
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000, Values: values}); err != nil {
		t.Error(err)
	}
}

// A fee posted to the ledger is never replaced by a later, different one;
// before it is posted the provider's latest fee is kept.
func TestMergeFee(t *testing.T) {
	p := func(v int64) *int64 { return &v }
	tests := []struct {
		name              string
		paid              bool
		current, observed *int64
		want              *int64
		changed, posted   bool
	}{
		{"no fee stated", true, p(590), nil, p(590), false, false},
		{"the first fee", false, nil, p(590), p(590), true, false},
		{"the same fee", true, p(590), p(590), p(590), false, false},
		{"a new fee before success", false, p(590), p(600), p(600), true, false},
		{"a new fee after the fee was posted", true, p(590), p(600), p(590), false, true},
		{"a zero fee was never posted", true, p(0), p(600), p(600), true, false},
		{"a failed payout's fee, or one reversed after failing", false, p(590), p(600), p(600), true, false},
	}
	for _, tt := range tests {
		next, changed, posted := MergeFee(tt.paid, tt.current, tt.observed)
		if (next == nil) != (tt.want == nil) || (next != nil && *next != *tt.want) || changed != tt.changed || (posted != nil) != tt.posted {
			t.Errorf("%s: MergeFee = %v, %v, %v", tt.name, next, changed, posted)
		}
	}
}
