package payout

import (
	"testing"
	"time"
)

func TestStateOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   HealthInput
		want HealthState
	}{
		{"no calls", HealthInput{}, HealthIdle},
		{"all fine", HealthInput{Calls: 100, Transient: 1}, HealthUp},
		{"some fail", HealthInput{Calls: 100, Transient: 10}, HealthDegraded},
		{"all fail", HealthInput{Calls: 5, Transient: 5}, HealthDown},
		{"two fail of two", HealthInput{Calls: 2, Transient: 2}, HealthDegraded},
		{"breaker open", HealthInput{Calls: 5, Transient: 5, BreakerOpen: true}, HealthPaused},
		{"probing", HealthInput{BreakerOpen: true, Probing: true}, HealthDegraded},
		{"downtime", HealthInput{Calls: 10, PausedAllModes: true}, HealthPaused},
		{"one mode down", HealthInput{Calls: 10, PausedModes: 1}, HealthDegraded},
		// It stopped answering a minute ago: the quarter hour's 800 good calls
		// do not make it up.
		{"the latest sends fail", HealthInput{Calls: 835, Transient: 22, InARow: 3}, HealthDown},
		{"two in a row", HealthInput{Calls: 835, Transient: 2, InARow: 2}, HealthUp},
		// The count has no age: idle since, it is idle.
		{"failed, then idle", HealthInput{InARow: 3}, HealthIdle},
		{"probing after five", HealthInput{Calls: 10, Transient: 5, InARow: 5, BreakerOpen: true, Probing: true}, HealthDegraded},
	} {
		if got := StateOf(tc.in); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestBalanceLow(t *testing.T) {
	inr := func(minor int64) Money { return Money{Minor: minor, Currency: "INR"} }
	for _, tc := range []struct {
		balance, outflow Money
		want             bool
	}{
		{inr(199), inr(100), true},
		{inr(200), inr(100), false},
		{inr(0), inr(0), false},
		{inr(5), Money{Minor: 100, Currency: "IDR"}, false},
	} {
		if got := BalanceLow(tc.balance, tc.outflow); got != tc.want {
			t.Errorf("BalanceLow(%v, %v): got %v, want %v", tc.balance, tc.outflow, got, tc.want)
		}
	}
}

func TestFundingShort(t *testing.T) {
	e := FundingShort(Money{Minor: 50000, Currency: "INR"}, Money{Minor: 100, Currency: "INR"}, time.Unix(0, 0))
	if e.Passed || e.Gate != ReasonFunding {
		t.Fatalf("got %+v, want a failed funding evaluation", e)
	}
}
