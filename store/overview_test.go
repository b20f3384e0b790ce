package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"payops/migrations"
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

// The live counts are folded (migration 00053), not read from the payouts:
// after inserts, status changes, a payout moved to another day or out of
// live, with folds between them and deltas left unfolded, they are what
// counting the payouts says.
func TestDailyCountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var days []time.Time
	for i := -6; i <= 1; i++ {
		days = append(days, today.AddDate(0, 0, i))
	}
	for i := range 40 {
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: fmt.Sprintf("FOLD-%d", i),
			Provider: []string{"nxtbanking", "xendit"}[i%2], Amount: payout.Money{Minor: int64(1000 + i), Currency: []string{"INR", "IDR"}[i%2]},
			Status: payout.Processing, CreatedAt: today.Add(-time.Duration(i) * 4 * time.Hour),
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	counted := func() []store.DayCount {
		var out []store.DayCount
		err := s.DB().Select(&out, `SELECT d.i - 1 AS day, p.provider, p.currency, p.status, count(*) AS count,
				sum(p.amount_minor) AS minor
			FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS d (first, next, i)
			JOIN payouts p ON p.created_at >= d.first AND p.created_at < d.next
			WHERE p.livemode GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, pqTimes(days[:7]), pqTimes(days[1:]))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	same := func(when string) {
		t.Helper()
		got, err := s.DailyCounts(ctx, days, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := counted(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s:\n got %v\nwant %v", when, got, want)
		}
	}
	same("before any fold")
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	same("folded")
	db := s.DB()
	db.MustExec(`UPDATE payouts SET status = 'SUCCEEDED' WHERE reference_id IN ('FOLD-1', 'FOLD-2', 'FOLD-3')`)
	db.MustExec(`UPDATE payouts SET status = 'FAILED' WHERE reference_id = 'FOLD-4'`)
	same("status changes unfolded")
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE payouts SET created_at = created_at - interval '1 day' WHERE reference_id = 'FOLD-5'`)
	db.MustExec(`UPDATE payouts SET livemode = false WHERE reference_id = 'FOLD-6'`)
	db.MustExec(`UPDATE payouts SET status = 'REVERSED' WHERE reference_id = 'FOLD-1'`)
	same("moved, out of live, reversed")
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	same("folded again")
	counts, err := s.StatusCounts(ctx, false)
	var want []store.StatusCount
	s.DB().Select(&want, `SELECT status, count(*) AS count FROM payouts WHERE livemode GROUP BY status`)
	sort.Slice(counts, func(i, j int) bool { return counts[i].Status < counts[j].Status })
	sort.Slice(want, func(i, j int) bool { return want[i].Status < want[j].Status })
	if err != nil || len(counts) != 4 || fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("status counts: %+v %v, want %+v", counts, err, want)
	}
}

// The trends keep 35 days: an older quarter hour is deleted at the next
// fold, and a late change to a payout created before them (a reversal two
// months on) is counted in the status counts but no old trend comes back.
func TestTrendCountsKeepAMonthAndABit(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	now := time.Now().UTC()
	for i, age := range []time.Duration{60 * 24 * time.Hour, 34 * 24 * time.Hour, time.Hour} {
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: fmt.Sprintf("OLD-%d", i), Provider: "nxtbanking",
			Amount: payout.Money{Minor: 1000, Currency: "INR"}, Status: payout.Succeeded, CreatedAt: now.Add(-age),
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	buckets := func() (n int, oldest time.Time) {
		t.Helper()
		if err := s.DB().QueryRow(`SELECT count(*), coalesce(min(bucket), now()) FROM payout_trend_counts`).Scan(&n, &oldest); err != nil {
			t.Fatal(err)
		}
		return n, oldest
	}
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if n, oldest := buckets(); n != 2 || now.Sub(oldest) > 35*24*time.Hour {
		t.Errorf("after the fold: %d trend rows, the oldest %s old; want 2, none past 35 days", n, now.Sub(oldest))
	}
	// A trend row from before (an instance that kept every quarter hour).
	s.DB().MustExec(`INSERT INTO payout_trend_counts (bucket, provider, currency, status, n, minor)
		VALUES (date_bin('15 minutes', now() - interval '90 days', 'epoch'), 'nxtbanking', 'INR', 'SUCCEEDED', 5, 5000)`)
	s.DB().MustExec(`UPDATE payouts SET status = 'REVERSED' WHERE reference_id = 'OLD-0'`)
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if n, oldest := buckets(); n != 2 || now.Sub(oldest) > 35*24*time.Hour {
		t.Errorf("after a late reversal: %d trend rows, the oldest %s old; want 2, none past 35 days", n, now.Sub(oldest))
	}
	counts, err := s.StatusCounts(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i].Status < counts[j].Status })
	if want := "[{REVERSED 1} {SUCCEEDED 2}]"; fmt.Sprint(counts) != want {
		t.Errorf("status counts %v, want %s", counts, want)
	}
}

func pqTimes(ts []time.Time) string {
	var b []byte
	b = append(b, '{')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, t.Format(time.RFC3339Nano)...)
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// A database with payouts before 00053 (some of their count deltas not
// folded) upgraded: the trends count every live payout once, as counting
// the payouts does.
func TestTrendCountsUpgrade(t *testing.T) {
	ctx := context.Background()
	s := storeAt(t, 52)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i := range 30 {
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: fmt.Sprintf("OLD-%d", i), Provider: "xendit",
			Amount: payout.Money{Minor: int64(500 + i), Currency: "IDR"}, Status: payout.Succeeded,
			CreatedAt: today.Add(-time.Duration(i) * 5 * time.Hour), Test: i%10 == 0,
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012"}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 20 { // the fold as it was before 00053
			s.DB().MustExec(`WITH moved AS (DELETE FROM payout_count_deltas RETURNING status, provider, n)
				INSERT INTO payout_counts (status, provider, n) SELECT status, provider, sum(n) FROM moved GROUP BY 1, 2
				ON CONFLICT (status, provider) DO UPDATE SET n = payout_counts.n + excluded.n`)
		}
	}
	if n, err := migrations.Up(ctx, s.DB().DB); err != nil || n == 0 {
		t.Fatalf("upgrade: %d migrations, %v", n, err)
	}
	days := []time.Time{today.AddDate(0, 0, -6)}
	for len(days) < 8 {
		days = append(days, days[len(days)-1].AddDate(0, 0, 1))
	}
	check := func(when string) {
		t.Helper()
		got, err := s.DailyCounts(ctx, days, false)
		if err != nil {
			t.Fatal(err)
		}
		var n, minor int64
		for _, c := range got {
			n, minor = n+c.Count, minor+c.Minor
		}
		var want struct{ N, Minor int64 }
		s.DB().Get(&want, `SELECT count(*) AS n, sum(amount_minor) AS minor FROM payouts WHERE livemode
			AND created_at >= $1 AND created_at < $2`, days[0], days[7])
		if n != want.N || minor != want.Minor || n == 0 {
			t.Fatalf("%s: %d payouts, %d minor; want %+v", when, n, minor, want)
		}
	}
	check("upgraded")
	counts, err := s.PayoutCounts(ctx)
	var total int64
	for _, c := range counts {
		total += c.Count
	}
	if err != nil || total != 27 { // 30, 3 of them test payouts
		t.Fatalf("payout counts after the upgrade: %d (%v), want 27", total, err)
	}
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	check("upgraded and folded")
}
