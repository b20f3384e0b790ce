package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"payops/adapters/paywize"
	"payops/adapters/xendit"
	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Day-end against a provider's listing (NxtBanking's, played by the
// sandbox): before the stale re-check the missed webhooks show as status
// differences; after it, a new version of the day ties out.
func TestDayEndFromTheProvidersList(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandboxAs(t, 200*time.Millisecond, "nxtbanking")
	const n = 12
	for i := range n {
		intake(t, s, payout.Policy{}, fmt.Sprintf("DAY-%02d", i), "nxtbanking", int64(100000+i))
	}
	if sent, err := (&jobs.Submitter{Store: s, Providers: reg, Log: quiet}).RunOnce(ctx); err != nil || sent != n {
		t.Fatalf("sent %d: %v", sent, err)
	}
	time.Sleep(300 * time.Millisecond)

	tomorrow := func() time.Time { return time.Now().Add(24 * time.Hour) }
	dayEnd := &jobs.DayEnd{Store: s, Providers: reg, Log: quiet, Now: tomorrow}
	out, err := dayEnd.Run(ctx)
	if err != nil || out.Examined != 1 || out.Changed != 1 {
		t.Fatalf("first day-end: %+v %v", out, err)
	}
	date, _, _ := jobs.BusinessDay(time.Now(), time.UTC)
	var v1 struct {
		ID       int64 `db:"id"`
		Diffs    int   `db:"diffs"`
		Statuses int   `db:"statuses"`
	}
	s.DB().Get(&v1, `SELECT r.id, (SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id) AS diffs,
		(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id AND d.kind = 'status_mismatch') AS statuses
		FROM recon_runs r WHERE provider = 'nxtbanking' AND business_date = $1 AND version = 1`, date)
	if v1.Statuses == 0 || v1.Diffs != v1.Statuses {
		t.Fatalf("version 1: %d diffs, %d of status: want only status differences", v1.Diffs, v1.Statuses)
	}

	stale := &jobs.StaleRecheck{Store: s, Rechecker: &jobs.Rechecker{Store: s, Providers: reg, Log: quiet}, Log: quiet,
		After: time.Millisecond, PerSecond: 1000}
	if _, err := stale.Run(ctx); err != nil {
		t.Fatal(err)
	}
	out, err = dayEnd.Run(ctx)
	if err != nil || out.Changed != 0 {
		t.Fatalf("second day-end: %+v %v", out, err)
	}
	var ties bool
	s.DB().Get(&ties, `SELECT ties FROM recon_runs WHERE provider = 'nxtbanking' AND business_date = $1 AND version = 2`, date)
	if !ties {
		t.Fatal("version 2 does not tie out after the re-check")
	}
}

// A provider payops cannot list (here: not configured at all) is run again
// from the latest settlement report uploaded for the day, and refused with
// what to do when there is none.
func TestRunDayWithoutAListFallsBackToTheUpload(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dayEnd := &jobs.DayEnd{Store: s, Providers: sandboxRegistry("http://127.0.0.1:1"), Log: quiet}
	date := dayEnd.Yesterday()
	if _, err := dayEnd.RunDay(ctx, "xendit", date, "finance@example.com", false); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "upload its settlement report") {
		t.Fatalf("no upload yet: %v", err)
	}
	rec := payout.ProviderRecord{ProviderPayoutID: "disb-1", ReferenceID: "X-1", Amount: payout.Money{Minor: 5000, Currency: "IDR"},
		Status: payout.Succeeded}
	file := &store.ReportFile{Name: "xendit-report.csv", SHA256: strings.Repeat("ab", 32), Bytes: 120}
	v1, err := dayEnd.UploadDay(ctx, "xendit", date, "finance@example.com", []payout.ProviderRecord{rec}, file)
	if err != nil || v1.Version != 1 || v1.Source != "upload" || v1.Diffs != 1 || v1.Report() == nil || *v1.Report() != *file {
		t.Fatalf("upload: %+v %v", v1, err)
	}
	// Run now again compares the same report: its version names the file too.
	v2, err := dayEnd.RunDay(ctx, "xendit", date, "finance@example.com", false)
	if err != nil || v2.Version != 2 || v2.Source != "upload" || v2.Diffs != 1 || v2.RunBy != "finance@example.com" ||
		v2.Report() == nil || *v2.Report() != *file {
		t.Fatalf("run again: %+v %v", v2, err)
	}
}

// The test providers' days (the sandbox's, the drill provider's) are never
// reconciled: their payouts are test payouts, which move no money. Day-end
// skips them, and running or uploading one of their days is refused.
func TestTestProvidersAreNotReconciled(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := sandboxRegistry("http://127.0.0.1:1")
	reg[payout.DrillProvider] = reg["sandbox"]
	reg["nxtbanking"] = reg["sandbox"]
	d := &jobs.DayEnd{Store: s, Providers: reg, Log: quiet}
	if got := d.ProviderNames(); !slices.Equal(got, []string{"nxtbanking"}) {
		t.Errorf("providers reconciled: %v, want only nxtbanking", got)
	}
	for _, provider := range []string{"sandbox", payout.DrillProvider} {
		if _, err := d.RunDay(ctx, provider, d.Yesterday(), "finance@example.com", false); !errors.Is(err, store.ErrRefused) {
			t.Errorf("run %s's day: %v, want refused", provider, err)
		}
		if _, err := d.UploadDay(ctx, provider, d.Yesterday(), "finance@example.com", nil, nil); !errors.Is(err, store.ErrRefused) {
			t.Errorf("upload %s's day: %v, want refused", provider, err)
		}
	}
	if v, err := s.ReconDays(ctx, d.Yesterday().AddDate(0, 0, -1), d.Yesterday()); err != nil || len(v) != 0 {
		t.Errorf("days reconciled: %v %v, want none", v, err)
	}
}

// Where each provider's days come from: NxtBanking lists its payouts,
// Xendit and Paywize do not (their reports are uploaded), and a provider
// not configured here, or a test provider (the sandbox, the drill
// provider), expects nothing new.
func TestDayEndFeeds(t *testing.T) {
	reg := sandboxRegistry("http://127.0.0.1:1")
	reg["xendit"] = xendit.NewClient(xendit.Config{BaseURL: "http://127.0.0.1:1", SecretKey: "k", CallbackToken: "t"})
	pw, err := paywize.NewClient(paywize.Config{BaseURL: "http://127.0.0.1:1", APIKey: strings.Repeat("k", 32),
		SecretKey: strings.Repeat("s", 16), WebhookSecret: "w"})
	if err != nil {
		t.Fatal(err)
	}
	reg["paywize"] = pw
	reg[payout.DrillProvider] = sandboxRegistry("http://127.0.0.1:1")["sandbox"]
	reg["nxtbanking"] = sandboxRegistry("http://127.0.0.1:1")["sandbox"]
	d := &jobs.DayEnd{Providers: reg, Log: quiet}
	for provider, want := range map[string]payout.DayFeed{"nxtbanking": payout.FeedList, "xendit": payout.FeedReport,
		"paywize": payout.FeedReport, "razorpayx": payout.FeedGone, "sandbox": payout.FeedGone,
		payout.DrillProvider: payout.FeedGone} {
		if got := d.Feed(provider); got != want {
			t.Errorf("Feed(%s) = %q, want %q", provider, got, want)
		}
	}
}

// A day the job did not reconcile (its run failed, or did not happen) is
// made good by the next run, within CatchUpDays; days before the provider's
// first reconciliation are not.
func TestDayEndCatchesUpAMissedDay(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandboxAs(t, time.Millisecond, "nxtbanking")
	now := time.Now()
	dayEnd := &jobs.DayEnd{Store: s, Providers: reg, Log: quiet, Now: func() time.Time { return now }}
	yesterday := dayEnd.Yesterday()
	// The job ran four days ago; three and two days ago it did not.
	first := yesterday.AddDate(0, 0, -3)
	start, end := jobs.DayBounds(first, nil)
	if _, err := s.Reconcile(ctx, "nxtbanking", first, start, end, "list", "day-end", nil, false); err != nil {
		t.Fatal(err)
	}
	out, err := dayEnd.Run(ctx)
	if err != nil || out.Examined != 3 {
		t.Fatalf("run: %+v %v, want 3 days: two missed and yesterday", out, err)
	}
	var days []string
	s.DB().Select(&days, `SELECT business_date::text FROM recon_runs WHERE provider = 'nxtbanking' ORDER BY 1`)
	want := []string{first.Format(time.DateOnly), yesterday.AddDate(0, 0, -2).Format(time.DateOnly),
		yesterday.AddDate(0, 0, -1).Format(time.DateOnly), yesterday.Format(time.DateOnly)}
	if strings.Join(days, " ") != strings.Join(want, " ") {
		t.Errorf("days reconciled %v, want %v (none before the first)", days, want)
	}
	if out, err := dayEnd.Run(ctx); err != nil || out.Examined != 1 {
		t.Errorf("again: %+v %v, want yesterday only", out, err)
	}
}

// A provider's first day whose run failed is made good too: a day with a
// payout sent through the provider is reconciled though no run precedes
// it; the days before the provider was used are not.
func TestDayEndCatchesUpAFailedFirstDay(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := settlingSandboxAs(t, time.Millisecond, "nxtbanking")
	now := time.Now()
	dayEnd := &jobs.DayEnd{Store: s, Providers: reg, Log: quiet, Now: func() time.Time { return now }}
	yesterday := dayEnd.Yesterday()
	first := yesterday.AddDate(0, 0, -2) // its run failed: the list was down
	start, _ := jobs.DayBounds(first, nil)
	intake(t, s, payout.Policy{}, "FIRST-DAY-1", "nxtbanking", 100000)
	s.DB().MustExec(`UPDATE payouts SET submitted_at = $1 WHERE reference_id = 'FIRST-DAY-1'`, start.Add(10*time.Hour))
	out, err := dayEnd.Run(ctx)
	if err != nil || out.Examined != 2 {
		t.Fatalf("run: %+v %v, want 2 days: the first, with a payout sent, and yesterday", out, err)
	}
	var days []string
	s.DB().Select(&days, `SELECT business_date::text FROM recon_runs WHERE provider = 'nxtbanking' ORDER BY 1`)
	if want := first.Format(time.DateOnly) + " " + yesterday.Format(time.DateOnly); strings.Join(days, " ") != want {
		t.Errorf("days reconciled %v, want %s", days, want)
	}
}
