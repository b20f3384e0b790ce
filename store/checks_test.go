package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// The stuck list says when a payout's last check failed, and why; a check
// answered after a failure clears it.
func TestStuckPayoutsShowAFailedLastCheck(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	for _, ref := range []string{"FAILED-CHECK", "ANSWERED", "RECOVERED", "NEVER"} {
		newPayout(t, s, ref, payout.Processing)
	}
	fail := func(ref, why string) {
		t.Helper()
		if err := s.RecordCheckFailure(ctx, ref, store.First(true), payout.SourcePoll, "poll", why); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(ref string) {
		t.Helper()
		obs := payout.Observation{Source: payout.SourceManual, Actor: "ops@example.com", RawStatus: "PROCESSING",
			Status: payout.Processing}
		if _, err := s.ApplyObservation(ctx, ref, store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	fail("FAILED-CHECK", "provider unavailable: 503")
	fail("FAILED-CHECK", "provider not configured: xendit")
	answer("ANSWERED")
	fail("RECOVERED", "timeout")
	answer("RECOVERED")

	rows, total, err := s.StuckPayouts(ctx, store.StuckFilter{Before: time.Now().Add(time.Hour), Limit: 10})
	if err != nil || total.All != 4 {
		t.Fatalf("stuck: %d %v", total.All, err)
	}
	want := map[string]string{"FAILED-CHECK": "provider not configured: xendit", "ANSWERED": "-", "RECOVERED": "-",
		"NEVER": "-"}
	for _, p := range rows {
		got := "-"
		if p.LastCheckFailed != nil {
			got = *p.LastCheckFailed
		}
		if got != want[p.ReferenceID] {
			t.Errorf("%s: last check failed %q, want %q", p.ReferenceID, got, want[p.ReferenceID])
		}
		if answered := p.LastAnsweredAt != nil; answered != (p.ReferenceID == "ANSWERED" || p.ReferenceID == "RECOVERED") {
			t.Errorf("%s: last answered at %v", p.ReferenceID, p.LastAnsweredAt)
		}
	}
	one, err := s.PayoutChecked(ctx, "FAILED-CHECK", store.First(true))
	if err != nil || one.LastCheckFailed == nil || *one.LastCheckFailed != "provider not configured: xendit" {
		t.Errorf("PayoutChecked: %+v %v", one.LastCheckFailed, err)
	}
	if _, err := s.PayoutChecked(ctx, "NOPE", store.First(true)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PayoutChecked of an unknown payout: %v", err)
	}
}

// The reconciler's failed look after one that failed for the same reason
// moves the last check time only; a new reason, a failure after an answer
// and a person's Re-check are recorded.
func TestRepeatedFailedLooksRecordedOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "DOWN", payout.Processing)
	history := func() (events int, lastChecked time.Time) {
		t.Helper()
		es, err := s.EventsFor(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DB().Get(&lastChecked, `SELECT coalesce(last_checked_at, 'epoch') FROM payouts WHERE id = $1`, p.ID); err != nil {
			t.Fatal(err)
		}
		return len(es), lastChecked
	}
	look := func(source payout.Source, why string) {
		t.Helper()
		if err := s.RecordCheckFailure(ctx, "DOWN", store.First(true), source, "reconciler", why); err != nil {
			t.Fatal(err)
		}
	}
	e0, _ := history()
	look(payout.SourcePoll, "provider unavailable: 503")
	e1, at1 := history()
	look(payout.SourcePoll, "provider unavailable: 503")
	look(payout.SourcePoll, "provider unavailable: 503")
	e2, at2 := history()
	if e1 != e0+1 || e2 != e1 || !at2.After(at1) {
		t.Errorf("events %d, %d, %d; last check %v then %v: want the first failure recorded, the same again only timed",
			e0, e1, e2, at1, at2)
	}
	look(payout.SourcePoll, "timeout")   // another reason
	look(payout.SourceManual, "timeout") // someone pressed Re-check
	if e3, _ := history(); e3 != e2+2 {
		t.Errorf("%d events after a new reason and a Re-check, want %d", e3, e2+2)
	}
	if _, err := s.ApplyObservation(ctx, "DOWN", store.First(true), payout.Observation{Source: payout.SourcePoll, RawStatus: "PROCESSING",
		Status: payout.Processing}); err != nil {
		t.Fatal(err)
	}
	e4, _ := history()
	look(payout.SourcePoll, "timeout") // failed again after an answer
	if e5, _ := history(); e5 != e4+1 {
		t.Errorf("%d events after a failure that followed an answer, want %d", e5, e4+1)
	}
	one, err := s.PayoutChecked(ctx, "DOWN", store.First(true))
	if err != nil || one.LastCheckFailed == nil || *one.LastCheckFailed != "timeout" {
		t.Errorf("PayoutChecked: %v %v", one.LastCheckFailed, err)
	}
}

// A Re-check's outcome is the payout's latest manual event, a failure as
// much as an answer; a poll is not a Re-check.
func TestLatestRecheck(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	p := newPayout(t, s, "RC", payout.Processing)
	if _, err := s.LatestRecheck(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("never re-checked: %v", err)
	}
	err := s.RecordCheckFailure(ctx, "RC", store.First(true), payout.SourceManual, "ops@example.com", "provider unavailable: 503")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCheckFailure(ctx, "RC", store.First(true), payout.SourcePoll, "poll", "timeout"); err != nil {
		t.Fatal(err)
	}
	e, err := s.LatestRecheck(ctx, p.ID)
	if err != nil || e.Decision != "error" || e.Detail != "provider unavailable: 503" || e.Actor != "ops@example.com" {
		t.Errorf("after a failed re-check: %+v %v", e, err)
	}
	obs := payout.Observation{Source: payout.SourceManual, Actor: "ops@example.com", RawStatus: "SUCCESS",
		Status: payout.Succeeded, UTR: "UTR1"}
	if _, err := s.ApplyObservation(ctx, "RC", store.First(true), obs); err != nil {
		t.Fatal(err)
	}
	e, err = s.LatestRecheck(ctx, p.ID)
	if err != nil || e.Decision != string(payout.Apply) || e.Detail != "moved to SUCCEEDED" {
		t.Errorf("after an answered re-check: %+v %v", e, err)
	}
}

// What a provider answers is recorded even when it holds NUL or bytes that
// are not UTF-8, which PostgreSQL refuses in text: a status poll's reason
// and a failed check's message alike.
func TestProviderTextIsStorable(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "ODD", payout.Processing)
	if err := s.RecordCheckFailure(ctx, "ODD", store.First(true), payout.SourceManual, "ops@example.com",
		"bad request: \x00\xff"); err != nil {
		t.Fatalf("check failure: %v", err)
	}
	res, err := s.ApplyObservation(ctx, "ODD", store.First(true), payout.Observation{Source: payout.SourcePoll,
		RawStatus: "FAILED", Status: payout.Failed, FailureReason: "no\x00 such \xffaccount", At: time.Now(), Actor: "reconciler"})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Payout.Status != payout.Failed || res.Payout.FailureReason != "no such \uFFFDaccount" {
		t.Errorf("payout %s, reason %q", res.Payout.Status, res.Payout.FailureReason)
	}
}
