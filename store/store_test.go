package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func newPayout(t testing.TB, s *store.Store, ref string, status payout.Status) store.Payout {
	t.Helper()
	ctx := context.Background()
	_, err := s.CreatePayout(ctx, "test", store.NewPayout{
		ReferenceID: ref, Provider: "sandbox", ProviderPayoutID: "sbx_" + ref,
		Amount: payout.Money{Minor: 125050, Currency: "INR"}, Mode: "IMPS", Status: status,
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234", BankName: "HDFC Bank"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.PayoutByRef(ctx, ref, store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreatePayout(t *testing.T) {
	s := pgtest.New(t)
	p := newPayout(t, s, "REF-1", payout.Queued)
	if p.AccountLast4 != "9012" || p.Amount().Decimal() != "1250.50" || p.ProviderID() != "sbx_REF-1" {
		t.Errorf("got %+v", p)
	}
	_, err := s.CreatePayout(context.Background(), "test", store.NewPayout{
		ReferenceID: "REF-1", Provider: "sandbox", Amount: payout.Money{Minor: 1, Currency: "INR"}, Status: payout.Queued,
		Beneficiary: store.Beneficiary{Name: "x", AccountNumber: "1"},
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("second create with the same reference: err = %v, want ErrConflict", err)
	}
	if _, err := s.PayoutByRef(context.Background(), "NOPE", store.First(true)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown ref: err = %v, want ErrNotFound", err)
	}
}

func TestApplyObservation(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "REF-A", payout.Processing)

	steps := []struct {
		obs      payout.Observation
		decision payout.Decision
		status   payout.Status
		message  string
	}{
		{payout.Observation{Source: payout.SourceManual, RawStatus: "PROCESSING", Status: payout.Processing}, payout.Merge, payout.Processing, "provider says PROCESSING, unchanged"},
		{payout.Observation{Source: payout.SourcePoll, RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR123"}, payout.Apply, payout.Succeeded, "moved to SUCCEEDED"},
		{payout.Observation{Source: payout.SourceWebhook, RawStatus: "PROCESSING", Status: payout.Processing, UTR: "WRONG"}, payout.Stale, payout.Succeeded, "provider says PROCESSING, older than SUCCEEDED; ignored"},
		{payout.Observation{Source: payout.SourceWebhook, RawStatus: "FAILED", Status: payout.Failed}, payout.Anomaly, payout.Succeeded, "provider says FAILED but payout is SUCCEEDED; recorded as anomaly"},
		{payout.Observation{Source: payout.SourceWebhook, RawStatus: "REVERSED", Status: payout.Reversed}, payout.Apply, payout.Reversed, "moved to REVERSED"},
	}
	for i, st := range steps {
		got, err := s.ApplyObservation(ctx, "REF-A", store.First(true), st.obs)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got.Decision != st.decision || got.Payout.Status != st.status || got.Message != st.message {
			t.Errorf("step %d: got %s %s %q, want %s %s %q", i, got.Decision, got.Payout.Status, got.Message, st.decision, st.status, st.message)
		}
	}
	p, _ := s.PayoutByRef(ctx, "REF-A", store.First(true))
	if p.UTR != "UTR123" {
		t.Errorf("UTR = %q, want the one from the applied observation", p.UTR)
	}
	events, err := s.EventsFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(steps) {
		t.Fatalf("%d events, want %d", len(events), len(steps))
	}
	for i, e := range events {
		if e.Decision != string(steps[i].decision) {
			t.Errorf("event %d decision %s, want %s", i, e.Decision, steps[i].decision)
		}
	}
	audits, err := s.AuditFor(ctx, "payout", "REF-A")
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1+len(steps) { // create + one per observation
		t.Errorf("%d audit rows, want %d", len(audits), 1+len(steps))
	}
	if _, err := s.ApplyObservation(ctx, "NOPE", store.First(true), steps[0].obs); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown payout: err = %v, want ErrNotFound", err)
	}
}

// The reconciler's poll that repeats what payops knows moves the payout's
// last check and answer times and writes nothing to its history; one that
// learns a detail, and a person's Re-check, are recorded.
func TestUnremarkablePollNotRecorded(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "REF-Q", payout.Processing)
	history := func() (events, audits int) {
		t.Helper()
		es, err := s.EventsFor(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.AuditFor(ctx, "payout", "REF-Q")
		if err != nil {
			t.Fatal(err)
		}
		return len(es), len(as)
	}
	// The first answer is news (the provider has the payout: it counts as
	// sent); the same answer again is not.
	poll := payout.Observation{Source: payout.SourcePoll, RawStatus: "PROCESSING", Status: payout.Processing, Actor: "reconciler"}
	if _, err := s.ApplyObservation(ctx, "REF-Q", store.First(true), poll); err != nil {
		t.Fatal(err)
	}
	e0, a0 := history()
	for range 3 {
		got, err := s.ApplyObservation(ctx, "REF-Q", store.First(true), poll)
		if err != nil || got.Decision != payout.Merge {
			t.Fatalf("poll: %v %v", got.Decision, err)
		}
	}
	if e, a := history(); e != e0 || a != a0 {
		t.Errorf("after three polls that learned nothing: %d events, %d audit entries, want %d and %d", e, a, e0, a0)
	}
	var after struct {
		Checked bool      `db:"checked"`
		Updated time.Time `db:"updated_at"`
	}
	if err := s.DB().Get(&after, `SELECT last_checked_at IS NOT NULL AND last_answered_at = last_checked_at AS checked,
		updated_at FROM payouts WHERE reference_id = 'REF-Q'`); err != nil {
		t.Fatal(err)
	}
	if !after.Checked || !after.Updated.Equal(p.UpdatedAt) {
		t.Errorf("after the polls: checked and answered %v, updated %v (was %v): want the checks' times, no change",
			after.Checked, after.Updated, p.UpdatedAt)
	}
	// A poll that learns the provider's sub-state, and a person's Re-check.
	learns := poll
	learns.RawStatus = "PENDING_AT_BANK"
	if _, err := s.ApplyObservation(ctx, "REF-Q", store.First(true), learns); err != nil {
		t.Fatal(err)
	}
	manual := learns
	manual.Source, manual.Actor = payout.SourceManual, "ops@example.com"
	if _, err := s.ApplyObservation(ctx, "REF-Q", store.First(true), manual); err != nil {
		t.Fatal(err)
	}
	if e, a := history(); e != e0+2 || a != a0+2 {
		t.Errorf("after a poll that learned and a Re-check: %d events, %d audit entries, want %d and %d", e, a, e0+2, a0+2)
	}
}

// Two re-checks of one payout at once must serialise on the row lock: one
// applies SUCCEEDED, the other sees SUCCEEDED and merges; never two
// "applied" events.
func TestConcurrentRechecks(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for round := range 10 {
		ref := fmt.Sprintf("REF-C%d", round)
		newPayout(t, s, ref, payout.Processing)
		var wg sync.WaitGroup
		results := make([]store.Applied, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				results[i], errs[i] = s.ApplyObservation(ctx, ref, store.First(true), payout.Observation{
					Source: payout.SourceManual, RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "U" + ref, Actor: fmt.Sprintf("ops%d", i),
				})
			})
		}
		wg.Wait()
		applied := 0
		for i := range 2 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if results[i].Decision == payout.Apply {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("round %d: %d re-checks applied, want exactly 1", round, applied)
		}
		p, _ := s.PayoutByRef(ctx, ref, store.First(true))
		if p.Status != payout.Succeeded {
			t.Errorf("round %d: status %s", round, p.Status)
		}
		events, _ := s.EventsFor(ctx, p.ID)
		if len(events) != 2 || events[0].Decision != "applied" || events[1].Decision != "merged" {
			t.Errorf("round %d: events %+v", round, events)
		}
	}
}

func TestStuckPayouts(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "OLD-Q", payout.Queued)
	newPayout(t, s, "OLD-P", payout.Processing)
	newPayout(t, s, "DONE", payout.Succeeded)
	_, err := s.DB().ExecContext(ctx, `UPDATE payouts SET updated_at = now() - interval '3 hours' WHERE reference_id = 'OLD-Q'`)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().ExecContext(ctx, `UPDATE payouts SET updated_at = now() - interval '30 hours', provider = 'xendit' WHERE reference_id IN ('OLD-P', 'DONE')`)
	newPayout(t, s, "FRESH", payout.Processing)

	before := time.Now().Add(-10 * time.Minute)
	got, total, err := s.StuckPayouts(ctx, store.StuckFilter{Before: before, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, p := range got {
		refs = append(refs, p.ReferenceID)
	}
	if strings.Join(refs, ",") != "OLD-P,OLD-Q" || total.All != 2 {
		t.Errorf("stuck = %v (total %d), want OLD-P,OLD-Q oldest first", refs, total.All)
	}
	got, total, _ = s.StuckPayouts(ctx, store.StuckFilter{Before: before, Provider: "sandbox", Limit: 50})
	if len(got) != 1 || got[0].ReferenceID != "OLD-Q" || total.All != 1 {
		t.Errorf("sandbox filter: %d rows, total %d", len(got), total.All)
	}
	got, total, _ = s.StuckPayouts(ctx, store.StuckFilter{Before: before, Limit: 1, Offset: 1})
	if len(got) != 1 || got[0].ReferenceID != "OLD-Q" || total.All != 2 {
		t.Errorf("page 2: %+v total %d", got, total.All)
	}

	sum, err := s.StuckSummary(ctx, before, time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.StuckCount{{Provider: "sandbox", Bucket: 1, Count: 1}, {Provider: "xendit", Bucket: 3, Count: 1}}
	if len(sum) != len(want) {
		t.Fatalf("summary %+v", sum)
	}
	for i := range want {
		if sum[i].Provider != want[i].Provider || sum[i].Bucket != want[i].Bucket || sum[i].Count != want[i].Count {
			t.Errorf("summary[%d] = %+v, want %+v", i, sum[i], want[i])
		}
	}

	// A downtime of the sandbox pauses OLD-Q, never sent: still listed,
	// counted apart; OLD-P, at xendit, is not.
	if total.Paused != 0 {
		t.Errorf("paused %d before any pause", total.Paused)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE payouts SET submitted_at = NULL, provider_payout_id = NULL,
		updated_at = now() - interval '3 hours' WHERE reference_id = 'OLD-Q'`); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "sandbox", ID: "d1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, total, err = s.StuckPayouts(ctx, store.StuckFilter{Before: before, Limit: 50})
	if err != nil || len(got) != 2 || total.All != 2 || total.Paused != 1 || total.AtProvider() != 1 {
		t.Errorf("while the sandbox is down: %d rows, %+v %v; want 2 rows, 2 stuck, 1 paused", len(got), total, err)
	}
	if _, total, _ = s.StuckPayouts(ctx, store.StuckFilter{Before: before, Provider: "xendit", Limit: 50}); total.Paused != 0 {
		t.Errorf("xendit's stuck payouts while the sandbox is down: %+v, want none paused", total)
	}
	if c, err := s.StuckPausedByProvider(ctx, before, false); err != nil || len(c) != 1 || c[0].Provider != "sandbox" ||
		c[0].Count != 1 {
		t.Errorf("StuckPausedByProvider = %+v, %v; want the sandbox's one", c, err)
	}
	if c, _ := s.StuckPausedByProvider(ctx, before, true); len(c) != 0 {
		t.Errorf("test payouts paused = %+v, want none", c)
	}
	if err := s.RecordDowntime(ctx, store.Downtime{Provider: "sandbox", ID: "d1", Resolved: true}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, total, _ = s.StuckPayouts(ctx, store.StuckFilter{Before: before, Limit: 50}); total.Paused != 0 {
		t.Errorf("after the downtime: %+v, want none paused", total)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	if err := s.Audit(ctx, "test", "user.login", "user", "1", nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET actor = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want refusal", q, err)
		}
	}
}

func TestRecordCheckFailure(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "REF-E", payout.Processing)
	if err := s.RecordCheckFailure(ctx, "REF-E", store.First(true), payout.SourceManual, "ops@example.com", "provider unavailable: 503"); err != nil {
		t.Fatal(err)
	}
	after, _ := s.PayoutByRef(ctx, "REF-E", store.First(true))
	if after.Status != payout.Processing || after.LastCheckedAt == nil || !after.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("after failure: %+v", after)
	}
	events, _ := s.EventsFor(ctx, p.ID)
	if len(events) != 1 || events[0].Decision != "error" || events[0].Detail != "provider unavailable: 503" {
		t.Errorf("events %+v", events)
	}
}

func TestIsUnavailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("store: user 1: %w", io.EOF), true},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{&pq.Error{Code: "57P01"}, true},
		{&pq.Error{Code: "08006"}, true},
		{&pq.Error{Code: "23505"}, false},
		{store.ErrNotFound, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := store.IsUnavailable(tt.err); got != tt.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// Drill payouts count nowhere real: not stuck, not in the status counts;
// the re-check asks about them only while their drill can still answer.
func TestDrillPayoutsLeftOut(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "REAL", payout.Processing)
	newPayout(t, s, "DRILL-NEW", payout.Processing)
	newPayout(t, s, "DRILL-OLD", payout.Processing)
	db := s.DB()
	db.MustExec(`UPDATE payouts SET provider = 'drill', livemode = false, submitted_at = now() WHERE reference_id LIKE 'DRILL-%'`)
	db.MustExec(`UPDATE payouts SET submitted_at = now(), updated_at = now() - interval '3 hours' WHERE reference_id = 'REAL'`)
	db.MustExec(`UPDATE payouts SET updated_at = now() - interval '3 hours' WHERE reference_id LIKE 'DRILL-%'`)
	db.MustExec(`UPDATE payouts SET created_at = now() - interval '2 hours' WHERE reference_id = 'DRILL-OLD'`)

	stuck, total, err := s.StuckPayouts(ctx, store.StuckFilter{Before: time.Now(), Limit: 10})
	if err != nil || total.All != 1 || stuck[0].ReferenceID != "REAL" {
		t.Errorf("stuck: %d %v", total.All, err)
	}
	counts, err := s.StatusCounts(ctx, false)
	if err != nil || len(counts) != 1 || counts[0].Count != 1 {
		t.Errorf("status counts: %+v %v", counts, err)
	}
	stale, err := s.StalePayouts(ctx, time.Now(), time.Now(), 10, nil)
	var refs []string
	for _, p := range stale {
		refs = append(refs, p.ReferenceID)
	}
	if err != nil || strings.Join(refs, ",") != "REAL,DRILL-NEW" {
		t.Errorf("stale re-check asks about %v (%v), want REAL,DRILL-NEW", refs, err)
	}
}

// A submission whose answer was lost (a timeout) leaves the payout unsent in
// payops; a webhook about it proves the provider has it, so it counts as sent
// from then on and the stale re-check asks about it.
func TestWebhookMarksAnUnsentPayoutSent(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "LOST-ANSWER", payout.Queued)
	s.DB().MustExec(`UPDATE payouts SET submitted_at = NULL WHERE reference_id = 'LOST-ANSWER'`)
	if _, err := s.ApplyObservation(ctx, "LOST-ANSWER", store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "PROCESSING",
		Status: payout.Processing}); err != nil {
		t.Fatal(err)
	}
	p, err := s.PayoutByRef(ctx, "LOST-ANSWER", store.First(true))
	if err != nil || p.SubmittedAt == nil || p.Status != payout.Processing {
		t.Fatalf("after the webhook: %s sent %v (%v)", p.Status, p.SubmittedAt, err)
	}
	stale, err := s.StalePayouts(ctx, time.Now().Add(time.Second), time.Now().Add(time.Second), 10, nil)
	if err != nil || len(stale) != 1 {
		t.Errorf("stale re-check finds %d (%v), want it", len(stale), err)
	}
}

// A fee is posted to the ledger once: a later observation stating another
// fee leaves the payout's fee and its posting as they are, and its event
// says so.
func TestAPostedFeeIsNotRewritten(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "FEE-1", payout.Processing)
	obs := func(fee int64) payout.Observation {
		return payout.Observation{Source: payout.SourceWebhook, RawStatus: "SUCCESS", Status: payout.Succeeded,
			Fee: &payout.Money{Minor: fee, Currency: "INR"}}
	}
	if _, err := s.ApplyObservation(ctx, "FEE-1", store.First(true), obs(590)); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyObservation(ctx, "FEE-1", store.First(true), obs(600))
	if err != nil {
		t.Fatal(err)
	}
	if res.Payout.FeeMinor == nil || *res.Payout.FeeMinor != 590 || !strings.Contains(res.Message, "fee 6.00 stated, not the 5.90 posted") {
		t.Errorf("after a second fee: fee %v, %q", res.Payout.FeeMinor, res.Message)
	}
	entries, err := s.LedgerFor(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	fees := 0
	for _, e := range entries {
		if e.Kind == "fee" {
			fees++
			if e.AmountMinor != 590 {
				t.Errorf("fee entry %+v, want 5.90", e)
			}
		}
	}
	if fees != 2 {
		t.Errorf("%d fee entries, want one balanced posting of two", fees)
	}
}

// A reversed payout's fee is in the ledger only when it was paid first: a
// payout reversed after SUCCEEDED keeps its posted fee against a later,
// different one; one reversed after FAILED posted none, so it takes the
// provider's latest fee and its event says nothing of a posting.
func TestAReversedPayoutsFeeWasPostedOnlyIfPaid(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	fee := func(minor int64) *payout.Money { return &payout.Money{Minor: minor, Currency: "INR"} }
	see := func(ref string, st payout.Status, f *payout.Money) store.Applied {
		t.Helper()
		res, err := s.ApplyObservation(ctx, ref, store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: string(st),
			Status: st, Fee: f})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, c := range []struct {
		ref     string
		outcome payout.Status
		want    int64
		posted  bool
	}{{"REV-PAID", payout.Succeeded, 590, true}, {"REV-FAILED", payout.Failed, 600, false}} {
		newPayout(t, s, c.ref, payout.Processing)
		see(c.ref, c.outcome, fee(590))
		see(c.ref, payout.Reversed, nil)
		res := see(c.ref, payout.Reversed, fee(600))
		if res.Payout.FeeMinor == nil || *res.Payout.FeeMinor != c.want ||
			strings.Contains(res.Message, "posted") != c.posted {
			t.Errorf("%s: fee %v, %q; want %d, posting named %v", c.ref, res.Payout.FeeMinor, res.Message, c.want, c.posted)
		}
	}
}

// A fee first stated by the reversal of a payout that succeeded with none
// is its paid fee: posted with the reversal and undone by it, as it would
// have been had the success stated it, so the ledger shows every fee the
// payout records and still nets to nothing.
func TestAFeeFirstStatedByAReversalIsPostedAndUndone(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "REV-FEE", payout.Processing)
	for _, o := range []payout.Observation{
		{Source: payout.SourceWebhook, RawStatus: "SUCCESS", Status: payout.Succeeded},
		{Source: payout.SourceWebhook, RawStatus: "REVERSED", Status: payout.Reversed, Fee: &payout.Money{Minor: 590, Currency: "INR"}},
	} {
		if _, err := s.ApplyObservation(ctx, "REV-FEE", store.First(true), o); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.LedgerFor(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	net := map[string]int64{}
	kinds := map[string]int{}
	for _, e := range entries {
		kinds[e.Kind]++
		if e.Direction == "debit" {
			net[e.Account] += e.AmountMinor
		} else {
			net[e.Account] -= e.AmountMinor
		}
	}
	if kinds["succeeded"] != 2 || kinds["fee"] != 2 || kinds["reversed"] != 4 {
		t.Errorf("entries by kind %v, want the success, the fee and the reversal of both", kinds)
	}
	for account, n := range net {
		if n != 0 {
			t.Errorf("%s nets %d after the reversal, want 0", account, n)
		}
	}
	if got, _ := s.PayoutByRef(ctx, "REV-FEE", store.First(true)); got.FeeMinor == nil || *got.FeeMinor != 590 {
		t.Errorf("the payout's fee %v, want 5.90", got.FeeMinor)
	}
}
