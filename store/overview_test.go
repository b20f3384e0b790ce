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

// The overview's figures: payouts counted by the business day they were
// created on (in the business time zone, not UTC), provider, currency and
// state, with their sums; drill payouts and payouts outside the days left
// out.
func TestDailyCounts(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(ist).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, ist)
	var days []time.Time
	for i := -6; i <= 1; i++ {
		days = append(days, today.AddDate(0, 0, i))
	}
	n := 0
	add := func(provider, currency string, minor int64, status payout.Status, created time.Time) {
		t.Helper()
		n++
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{
			ReferenceID: fmt.Sprintf("DC-%d", n), Provider: provider, Amount: payout.Money{Minor: minor, Currency: currency},
			Status: status, CreatedAt: created, Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012"},
			Test: provider == payout.DrillProvider, // the sandbox's stand in for live payouts here
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("sandbox", "INR", 10000, payout.Succeeded, today.Add(10*time.Minute))
	add("sandbox", "INR", 25050, payout.Succeeded, today.Add(5*time.Hour))
	add("sandbox", "INR", 700, payout.Failed, today.Add(time.Hour))
	add("xendit", "IDR", 5000000, payout.Processing, today.Add(2*time.Hour))
	// 23:50 in Kolkata yesterday is 18:20 UTC: yesterday, whatever UTC says.
	add("sandbox", "INR", 300, payout.Reversed, today.Add(-10*time.Minute))
	add("sandbox", "USD", 1999, payout.Succeeded, days[0])
	add("sandbox", "INR", 1, payout.Succeeded, days[0].Add(-time.Second)) // the day before the first
	add("sandbox", "INR", 1, payout.Succeeded, days[7])                   // tomorrow
	add(payout.DrillProvider, "INR", 100, payout.Succeeded, today.Add(time.Hour))

	got, err := s.DailyCounts(ctx, days, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayCount{
		{Day: 0, Provider: "sandbox", Currency: "USD", Status: payout.Succeeded, Count: 1, Minor: 1999},
		{Day: 5, Provider: "sandbox", Currency: "INR", Status: payout.Reversed, Count: 1, Minor: 300},
		{Day: 6, Provider: "sandbox", Currency: "INR", Status: payout.Failed, Count: 1, Minor: 700},
		{Day: 6, Provider: "sandbox", Currency: "INR", Status: payout.Succeeded, Count: 2, Minor: 35050},
		{Day: 6, Provider: "xendit", Currency: "IDR", Status: payout.Processing, Count: 1, Minor: 5000000},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := s.DailyCounts(ctx, days[:1], false); err == nil {
		t.Error("one bound: no error")
	}
}
