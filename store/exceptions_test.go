package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// classify is the test's failure table: BAD_IFSC a request problem,
// NO_FUNDS a funding one.
func classify(provider, code string) payout.FailureClass {
	switch code {
	case "BAD_IFSC":
		return payout.FailRequest
	case "NO_FUNDS":
		return payout.FailFunding
	}
	return payout.FailUnknown
}

func scan(t *testing.T, s *store.Store) store.Scanned {
	t.Helper()
	n, err := s.ScanExceptions(context.Background(), classify)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sentAndFailed takes a payout recorded by intake through the provider's
// acceptance to FAILED with code.
func sentAndFailed(t *testing.T, s *store.Store, ref, code string) {
	t.Helper()
	ctx := context.Background()
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_" + ref, RawStatus: "PENDING", Status: payout.Processing},
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_" + ref, RawStatus: "FAILED", Status: payout.Failed,
			FailureCode: code, FailureReason: "the bank says no"},
	} {
		if _, err := s.ApplyObservation(ctx, ref, store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
}

func openCase(t *testing.T, s *store.Store, kind payout.CaseKind, test bool) store.Case {
	t.Helper()
	cases, _, err := s.OpenCases(context.Background(), store.CaseFilter{Kind: kind, Test: test})
	if err != nil || len(cases) != 1 {
		t.Fatalf("open %s cases = %+v, %v; want one", kind, cases, err)
	}
	return cases[0]
}

func TestAPayoutFailedAfterSendingOpensOneClassifiedCase(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("FAIL-1", nil)
	sentAndFailed(t, f.s, "FAIL-1", "NO_FUNDS")
	if got := scan(t, f.s); got.Opened != 1 {
		t.Fatalf("scan opened %d cases, want 1", got.Opened)
	}
	c := openCase(t, f.s, payout.CaseFailed, false)
	if c.FailureClass != string(payout.FailFunding) || c.PayoutID == nil || *c.PayoutID != p.ID ||
		!strings.Contains(c.Summary, "NO_FUNDS") || !strings.Contains(string(c.Evidence), "the bank says no") {
		t.Errorf("case = %+v, want a funding case with the provider's words as evidence", c)
	}
	if got := scan(t, f.s); got.Opened != 0 {
		t.Errorf("a second scan opened %d more", got.Opened)
	}
	if _, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "ICIC0000001"}, f.ops, "retry", holdPolicy); !errors.Is(err, store.ErrRefused) {
		t.Errorf("retrying a funding failure: %v, want refused", err)
	}
	if _, err := f.s.ResolveCase(ctx, c.ID, f.ops, "account topped up, platform told"); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, f.s); got.Opened != 0 {
		t.Errorf("after resolving, a scan opened %d cases again", got.Opened)
	}
	if _, err := f.s.ResolveCase(ctx, c.ID, f.ops, "again"); !errors.Is(err, store.ErrRefused) {
		t.Errorf("resolving a resolved case: %v, want refused", err)
	}
}

// A payout reversed after it was paid, or cancelled at the provider after
// it was sent, is a failed payout's case as FAILED is: nobody was paid. A
// failed case stays open when its payout is then reversed (Paywize's
// REFUNDED after FAILED), and the corrected payout may still go again.
func TestAReversedOrCancelledPayoutAfterSendingIsACase(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	apply := func(ref string, obs ...payout.Observation) {
		t.Helper()
		for _, o := range obs {
			o.Source, o.ProviderPayoutID = payout.SourceWebhook, "nxt_"+ref
			if _, err := f.s.ApplyObservation(ctx, ref, store.First(true), o); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.intake("REV-1", nil)
	apply("REV-1", payout.Observation{RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR-REV-1"},
		payout.Observation{RawStatus: "REVERSED", Status: payout.Reversed, FailureCode: "BAD_IFSC",
			FailureReason: "dormant account"})
	f.intake("CAN-1", nil)
	apply("CAN-1", payout.Observation{RawStatus: "PENDING", Status: payout.Processing},
		payout.Observation{RawStatus: "CANCELLED", Status: payout.Cancelled})
	if got := scan(t, f.s); got.Opened != 2 {
		t.Fatalf("scan opened %d cases, want the reversed and the cancelled payouts'", got.Opened)
	}
	cases, _, err := f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseFailed})
	if err != nil || len(cases) != 2 {
		t.Fatalf("failed cases = %+v, %v", cases, err)
	}
	var reversed store.Case
	for _, c := range cases {
		if strings.HasPrefix(c.Summary, "REV-1") {
			reversed = c
		}
	}
	if !strings.Contains(reversed.Summary, "REV-1 was reversed at nxtbanking") {
		t.Errorf("reversed case summary %q", reversed.Summary)
	}
	if _, ref, err := f.s.RetryFailed(ctx, reversed.ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops,
		"account moved; platform confirmed", holdPolicy); err != nil || ref != "REV-1-R1" {
		t.Errorf("retrying the reversed payout: %q, %v; want REV-1-R1", ref, err)
	}

	// FAILED, then REVERSED: the failed case stays open.
	f.intake("FAIL-REV", nil)
	sentAndFailed(t, f.s, "FAIL-REV", "NO_FUNDS")
	scan(t, f.s)
	apply("FAIL-REV", payout.Observation{RawStatus: "REFUNDED", Status: payout.Reversed})
	if got := scan(t, f.s); got.Closed != 0 {
		t.Errorf("scan closed %d cases when the failed payout was reversed, want none", got.Closed)
	}
}

func TestRetryAsANewInstructionLinksBothWays(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	failed := f.intake("FAIL-2", nil)
	sentAndFailed(t, f.s, "FAIL-2", "BAD_IFSC")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)

	_, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC0001234"}, f.ops, "same IFSC", holdPolicy)
	var fe *store.FieldsError
	if !errors.As(err, &fe) || fe.Fields["beneficiary"] == "" {
		t.Fatalf("a retry that changes nothing: %v, want refused naming the beneficiary", err)
	}
	if _, _, err = f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC01234"}, f.ops, "bad IFSC", holdPolicy); !errors.As(err, &fe) ||
		fe.Fields["beneficiary.ifsc"] == "" {
		t.Fatalf("a retry with a bad IFSC: %v, want refused naming beneficiary.ifsc", err)
	}

	before, _ := f.s.PayoutByRef(ctx, "FAIL-2", store.First(true))
	done, ref, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "hdfc0004321"}, f.ops, "IFSC corrected by the seller", holdPolicy)
	if err != nil || ref != "FAIL-2-R1" {
		t.Fatalf("retry = %q, %v; want FAIL-2-R1", ref, err)
	}
	// Its JSON now names the retry: a platform listing by updated_after
	// sees it changed.
	if after, _ := f.s.PayoutByRef(ctx, "FAIL-2", store.First(true)); !after.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("the failed payout's updated time %s did not move past %s with its retry", after.UpdatedAt, before.UpdatedAt)
	}
	retry, err := f.s.PayoutByRef(ctx, ref, store.First(true))
	if err != nil || retry.Status != payout.Queued || retry.RetryOf == nil || *retry.RetryOf != failed.ID {
		t.Fatalf("the new instruction = %+v, %v; want QUEUED and pointing back to FAIL-2", retry, err)
	}
	c, err = f.s.CaseByID(ctx, done.ID)
	if err != nil || c.State != "resolved" || c.RetryRef == nil || *c.RetryRef != ref {
		t.Fatalf("the case after the retry = %+v, %v; want resolved, pointing to %s", c, err, ref)
	}
	failed, _ = f.s.PayoutByRef(ctx, "FAIL-2", store.First(true))
	if of, retries, err := f.s.RetryLinks(ctx, failed); err != nil || of != "" || len(retries) != 1 || retries[0] != ref {
		t.Fatalf("links of FAIL-2 = %q %v, %v; want [%s]", of, retries, err, ref)
	}
	if of, _, err := f.s.RetryLinks(ctx, retry); err != nil || of != "FAIL-2" {
		t.Fatalf("the new instruction points to %q, %v; want FAIL-2", of, err)
	}
	// The platform sees both links: the failed payout retried as FAIL-2-R1,
	// the new instruction (whose payout.created it never asked for) retrying
	// FAIL-2, in the API and in the event.
	for ref, want := range map[string][2]string{"FAIL-2": {"", "FAIL-2-R1"}, "FAIL-2-R1": {"FAIL-2", ""}} {
		p, err := f.s.PayoutWithMetadata(ctx, ref, store.First(true))
		if err != nil {
			t.Fatal(err)
		}
		pj := store.PayoutJSONOf(p, nil, nil)
		if deref(pj.RetryOf) != want[0] || deref(pj.RetriedAs) != want[1] {
			t.Errorf("%s in the API: retry_of %q, retried_as %q; want %q, %q", ref, deref(pj.RetryOf), deref(pj.RetriedAs),
				want[0], want[1])
		}
	}
}

// A retry's payout.created event names the failed payout it sends again.
func TestARetrysCreatedEventNamesWhatItRetries(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.intake("FAIL-3", nil)
	sentAndFailed(t, f.s, "FAIL-3", "BAD_IFSC")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)
	addEndpoint(t, f.s, payout.EventPayoutCreated)
	if _, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "IFSC corrected", holdPolicy); err != nil {
		t.Fatal(err)
	}
	claimed, err := f.s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d deliveries (%v), want the retry's payout.created", len(claimed), err)
	}
	if body := claimed[0].Body; !strings.Contains(body, `"reference_id":"FAIL-3-R1"`) || !strings.Contains(body, `"retry_of":"FAIL-3"`) {
		t.Errorf("the retry's event: %s", body)
	}
}

// Sending a failed payout again to another account number is never one
// operator's call: the new instruction is HELD by the beneficiary gate,
// the hold placed by the operator (so four-eyes keeps them from releasing
// it), until compliance confirms the account; the audit entry names the
// corrected fields and both account numbers, masked.
func TestARetryToAnotherAccountIsHeldForASecondPerson(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.intake("FAIL-9", nil)
	sentAndFailed(t, f.s, "FAIL-9", "BAD_IFSC")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)

	_, ref, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{AccountNumber: "999988887777", IFSC: "ICIC0000001"}, f.ops,
		"seller sent new bank details", holdPolicy)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := f.s.PayoutByRef(ctx, ref, store.First(true))
	if err != nil || retry.Status != payout.Held || retry.SubmittedAt != nil {
		t.Fatalf("the retry to another account = %+v, %v; want HELD, not sent", retry, err)
	}
	h, ok := f.holds(retry)[payout.ReasonBeneficiary]
	// The hold's words reach the platform (API, webhooks): they name no
	// operator; the hold says inside who placed it.
	if !ok || !strings.Contains(h.Detail, "account number changed from XXXXXXXX9012 to XXXXXXXX7777, bank changed from HDFC to ICIC by an operator") ||
		strings.Contains(h.Detail, "999988887777") || strings.Contains(h.Detail, "@") || h.PlacedBy != "ops@example.com" {
		t.Fatalf("holds %+v, want a beneficiary hold naming both accounts masked, placed by the operator", f.holds(retry))
	}
	entries, err := f.s.AuditFor(ctx, "exception", fmt.Sprint(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	var retried string
	for _, e := range entries {
		if e.Action == "exception.retry" {
			retried = string(e.Details)
		}
	}
	if !strings.Contains(retried, `"account_from": "XXXXXXXX9012"`) || !strings.Contains(retried, `"account_to": "XXXXXXXX7777"`) ||
		!strings.Contains(retried, `"bank_from": "HDFC"`) || !strings.Contains(retried, `"bank_to": "ICIC"`) ||
		!strings.Contains(retried, `"account_number"`) || !strings.Contains(retried, `"ifsc"`) || strings.Contains(retried, "999988887777") {
		t.Errorf("the retry's audit entry %s does not name the change", retried)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.ops, "I checked it myself", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrFourEyes) {
		t.Errorf("the operator who changed the account released its hold: %v", err)
	}
	rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "called the seller: the new account is theirs", holdPolicy, store.AnyShown)
	if err != nil || !rel.Queued {
		t.Fatalf("compliance's release = %+v, %v; want the payout queued", rel, err)
	}
	if p, _ := f.s.PayoutByRef(ctx, ref, store.First(true)); p.Status != payout.Queued {
		t.Errorf("after the release the retry is %s, want QUEUED", p.Status)
	}
}

func TestCasesCloseThemselvesWhenTheirConditionClears(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	// An anomaly: SUCCEEDED, then FAILED by a webhook; a re-check agrees with
	// SUCCEEDED and the case closes by itself.
	f.intake("ANOM-1", nil)
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_A1", RawStatus: "PENDING", Status: payout.Processing},
		{Source: payout.SourceWebhook, RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR1"},
		{Source: payout.SourceWebhook, RawStatus: "FAILED", Status: payout.Failed},
	} {
		if _, err := f.s.ApplyObservation(ctx, "ANOM-1", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseAnomaly, false)
	if !strings.Contains(c.Summary, "FAILED") || !strings.Contains(string(c.Evidence), `"provider_says": "FAILED"`) {
		t.Errorf("anomaly case = %+v", c)
	}
	if _, err := f.s.ApplyObservation(ctx, "ANOM-1", store.First(true), payout.Observation{Source: payout.SourceManual, RawStatus: "SUCCESS",
		Status: payout.Succeeded, UTR: "UTR1"}); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, f.s); got.Closed != 1 {
		t.Fatalf("scan closed %d cases, want the anomaly", got.Closed)
	}
	c, _ = f.s.CaseByID(ctx, c.ID)
	if c.State != "closed" || c.CloseNote == nil || !strings.Contains(*c.CloseNote, "closed by itself") {
		t.Errorf("anomaly case after the re-check = %+v", c)
	}

	// Another anomaly, and the reconciler's look agrees: it writes no event
	// (it only repeats the state), and the case closes all the same.
	f.intake("ANOM-2", nil)
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_A2", RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR3"},
		{Source: payout.SourceWebhook, RawStatus: "FAILED", Status: payout.Failed},
		{Source: payout.SourcePoll, RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR3", Actor: "reconciler"},
	} {
		if _, err := f.s.ApplyObservation(ctx, "ANOM-2", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
		if obs.Status == payout.Failed {
			scan(t, f.s)
			c = openCase(t, f.s, payout.CaseAnomaly, false)
		}
	}
	if got := scan(t, f.s); got.Closed != 1 {
		t.Fatalf("scan closed %d cases, want the anomaly a poll agreed with", got.Closed)
	}
	if c, _ = f.s.CaseByID(ctx, c.ID); c.State != "closed" || c.CloseNote == nil || !strings.Contains(*c.CloseNote, "a later check agrees") {
		t.Errorf("anomaly case after the poll = %+v", c)
	}
	// A poll that says FAILED again keeps an anomaly open.
	f.intake("ANOM-3", nil)
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_A3", RawStatus: "SUCCESS", Status: payout.Succeeded, UTR: "UTR4"},
		{Source: payout.SourceWebhook, RawStatus: "FAILED", Status: payout.Failed},
	} {
		if _, err := f.s.ApplyObservation(ctx, "ANOM-3", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	scan(t, f.s)
	if _, err := f.s.ApplyObservation(ctx, "ANOM-3", store.First(true), payout.Observation{Source: payout.SourcePoll, RawStatus: "FAILED",
		Status: payout.Failed, Actor: "reconciler"}); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, f.s); got.Closed != 0 {
		t.Fatalf("scan closed %d cases after a poll that disagrees, want none", got.Closed)
	}

	// A payout PROCESSING for two days: a stuck case, closed when it settles.
	_, err := f.s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "LONG-1", Provider: "nxtbanking",
		ProviderPayoutID: "nxt_LONG-1", Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Processing,
		Beneficiary: store.Beneficiary{Name: "Asha", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
		CreatedAt:   time.Now().Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Still QUEUED at the provider two days after it was sent (RazorpayX
	// queues for low balance): stuck too.
	_, err = f.s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "LONG-Q", Provider: "nxtbanking",
		ProviderPayoutID: "nxt_LONG-Q", Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Queued,
		Beneficiary: store.Beneficiary{Name: "Asha", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
		CreatedAt:   time.Now().Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	scan(t, f.s)
	stuck, _, err := f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseStuckLong})
	if err != nil || len(stuck) != 2 {
		t.Fatalf("stuck cases = %+v, %v; want LONG-1's and LONG-Q's", stuck, err)
	}
	for _, s := range stuck {
		if strings.HasPrefix(s.Summary, "LONG-Q") && !strings.Contains(s.Summary, "has been QUEUED at nxtbanking") {
			t.Errorf("queued stuck case summary %q", s.Summary)
		}
		if strings.HasPrefix(s.Summary, "LONG-1") {
			c = s
		}
	}
	if _, err := f.s.ApplyObservation(ctx, "LONG-1", store.First(true), payout.Observation{Source: payout.SourcePoll, RawStatus: "SUCCESS",
		Status: payout.Succeeded, UTR: "UTR2"}); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, f.s); got.Closed != 1 {
		t.Fatalf("scan closed %d, want the stuck case", got.Closed)
	}
}

func TestCasesEscalatePastTheirSLA(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.intake("ESC-1", nil)
	sentAndFailed(t, f.s, "ESC-1", "")
	if err := f.s.UpdateCaseKinds(ctx, f.ops, []store.CaseKindChange{{Kind: payout.CaseFailed, OwnerID: &f.ops.UserID,
		NextOwnerID: &f.comp1.UserID, SLAMinutes: 60}}, nil); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)
	if c.OwnerID == nil || *c.OwnerID != f.ops.UserID || c.FailureClass != string(payout.FailUnknown) {
		t.Fatalf("case = %+v, want owned by ops, class unknown", c)
	}
	if _, err := f.s.DB().ExecContext(ctx, `UPDATE exception_cases SET sla_due_at = now() - interval '1 minute' WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := scan(t, f.s); got.Escalated != 1 {
		t.Fatalf("scan escalated %d, want 1", got.Escalated)
	}
	c, _ = f.s.CaseByID(ctx, c.ID)
	if c.EscalatedAt == nil || c.OwnerID == nil || *c.OwnerID != f.comp1.UserID {
		t.Errorf("after the SLA the case is %+v, want escalated to comp1", c)
	}
	if got := scan(t, f.s); got.Escalated != 0 {
		t.Errorf("escalated twice")
	}
}

func TestTestPayoutsCasesStayInTheTestView(t *testing.T) {
	s := pgtest.New(t)
	_, err := s.CreatePayout(context.Background(), "test", store.NewPayout{ReferenceID: "SBX-1", Provider: "sandbox",
		ProviderPayoutID: "sbx_SBX-1", Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Processing,
		Beneficiary: store.Beneficiary{Name: "Asha", AccountNumber: "123456789012", IFSC: "HDFC0001234"}, Test: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyObservation(context.Background(), "SBX-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		RawStatus: "FAILED", Status: payout.Failed, FailureCode: "BAD_IFSC"}); err != nil {
		t.Fatal(err)
	}
	scan(t, s)
	if live, n, _ := s.OpenCases(context.Background(), store.CaseFilter{}); n.Open != 0 {
		t.Errorf("a test payout's case is in the live queue: %+v", live)
	}
	openCase(t, s, payout.CaseFailed, true)
}

// Payouts stuck long are found in each mode (each along its own index of
// open payouts, migration 00068), each case in its own mode's view.
func TestPayoutsStuckLongOpenCasesInEachMode(t *testing.T) {
	s := pgtest.New(t)
	for _, test := range []bool{false, true} {
		ref := fmt.Sprintf("LONG-%t", test)
		_, err := s.CreatePayout(context.Background(), "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox",
			ProviderPayoutID: "sbx_" + ref, Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Processing,
			Beneficiary: store.Beneficiary{Name: "Asha", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
			CreatedAt:   time.Now().Add(-48 * time.Hour), Test: test})
		if err != nil {
			t.Fatal(err)
		}
	}
	scan(t, s)
	for _, test := range []bool{false, true} {
		if c := openCase(t, s, payout.CaseStuckLong, test); !strings.HasPrefix(c.Summary, fmt.Sprintf("LONG-%t ", test)) {
			t.Errorf("the stuck case of the view test=%t is %q", test, c.Summary)
		}
	}
}

func TestAFailedCaseIsClassifiedOnceItsCodeArrives(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.intake("LATE-1", nil)
	sentAndFailed(t, f.s, "LATE-1", "") // the webhook gave only words
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)
	if c.FailureClass != string(payout.FailUnknown) {
		t.Fatalf("class without a code = %q", c.FailureClass)
	}
	if _, err := f.s.ApplyObservation(ctx, "LATE-1", store.First(true), payout.Observation{Source: payout.SourceManual, RawStatus: "FAILED",
		Status: payout.Failed, FailureCode: "BAD_IFSC", FailureReason: "the bank says no"}); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s)
	if c, _ = f.s.CaseByID(ctx, c.ID); c.FailureClass != string(payout.FailRequest) {
		t.Errorf("class after the re-check brought the code = %q, want request", c.FailureClass)
	}
}

// The dispute outlives its event: once the month of the anomaly's event is
// archived (a shortened PAYOPS_RETENTION), the anomaly case the exceptions
// job opened for it still refuses the retry.
func TestRetryIsRefusedByTheAnomalysCaseWhenItsEventIsArchived(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("GONE-1", nil)
	sentAndFailed(t, f.s, "GONE-1", "BAD_IFSC")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)
	// What an archived month leaves: the case, without its event.
	f.s.DB().MustExec(`INSERT INTO exception_cases (kind, subject, payout_id, summary, sla_due_at)
		VALUES ('anomaly', 'payout:' || $1::text, $1::bigint, 'nxtbanking says SUCCEEDED but the payout is FAILED', now() + interval '1 day')`,
		p.ID)
	if _, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "fixed", holdPolicy); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "another outcome") {
		t.Fatalf("retry of a payout with an anomaly case: %v, want refused", err)
	}
	// One opened before the failure and still open: a later anomaly adds
	// no case of its own, so the open one stands for it.
	f.s.DB().MustExec(`UPDATE exception_cases SET opened_at = now() - interval '2 days' WHERE kind = 'anomaly' AND payout_id = $1`, p.ID)
	if _, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "fixed", holdPolicy); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("retry of a payout with an anomaly case open from before it failed: %v, want refused", err)
	}
	f.s.DB().MustExec(`UPDATE exception_cases SET state = 'closed', closed_at = now() WHERE kind = 'anomaly' AND payout_id = $1`, p.ID)
	if _, _, err := f.s.RetryFailed(ctx, c.ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "fixed", holdPolicy); err != nil {
		t.Fatalf("retry once that anomaly, from before the failure, was closed: %v", err)
	}
}

// Sending a failed payout again is refused once the provider has reported
// another outcome for it (a late SUCCEEDED, an anomaly: the payout stays
// FAILED), so the money is not paid twice; and a retry that fails too is
// sent again as REF-R2, not REF-R1 again.
func TestRetryIsRefusedWhenTheFailureIsDisputedAndCountsOn(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	twice := f.intake("TWICE-1", nil)
	sentAndFailed(t, f.s, "TWICE-1", "BAD_IFSC")
	chain := f.intake("CHAIN-1", nil)
	sentAndFailed(t, f.s, "CHAIN-1", "BAD_IFSC")
	scan(t, f.s)
	cases, _, err := f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseFailed})
	if err != nil || len(cases) != 2 {
		t.Fatalf("cases %+v %v", cases, err)
	}
	byRef := map[string]store.Case{}
	for _, c := range cases {
		byRef[map[int64]string{twice.ID: "TWICE-1", chain.ID: "CHAIN-1"}[*c.PayoutID]] = c
	}
	if _, err := f.s.ApplyObservation(ctx, "TWICE-1", store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "SUCCESS",
		Status: payout.Succeeded, UTR: "UTR9"}); err != nil {
		t.Fatal(err)
	}
	// A Re-check then brings the failure's words: a merge, which moves
	// updated_at past the anomaly.
	if _, err := f.s.ApplyObservation(ctx, "TWICE-1", store.First(true), payout.Observation{Source: payout.SourceManual, RawStatus: "FAILED",
		Status: payout.Failed, FailureReason: "account closed, said again"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.RetryFailed(ctx, byRef["TWICE-1"].ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "fixed",
		holdPolicy); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "another outcome") {
		t.Fatalf("retry after the provider reported SUCCEEDED: %v, want refused", err)
	}

	_, ref, err := f.s.RetryFailed(ctx, byRef["CHAIN-1"].ID, payout.RetryFix{IFSC: "HDFC0004321"}, f.ops, "fixed", holdPolicy)
	if err != nil || ref != "CHAIN-1-R1" {
		t.Fatalf("first retry %q %v", ref, err)
	}
	sentAndFailed(t, f.s, ref, "BAD_IFSC")
	scan(t, f.s)
	cases, _, err = f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseFailed})
	var again store.Case
	for _, c := range cases {
		if strings.HasPrefix(c.Summary, "CHAIN-1-R1 ") {
			again = c
		}
	}
	if err != nil || again.ID == 0 {
		t.Fatalf("no case for the failed retry: %v", err)
	}
	_, ref2, err := f.s.RetryFailed(ctx, again.ID, payout.RetryFix{IFSC: "HDFC0000077"}, f.ops, "fixed again", holdPolicy)
	if err != nil || ref2 != "CHAIN-1-R2" {
		t.Fatalf("retry of the retry = %q, %v; want CHAIN-1-R2", ref2, err)
	}
}

// A reconciliation difference's case closes when its day is run again (the
// new version takes the old one's place), and the new version's difference,
// still open, has a case of its own.
func TestAReconCaseFollowsItsDifferenceWhenItsDayIsRunAgain(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
	records := []payout.ProviderRecord{{ProviderPayoutID: "pp-X", ReferenceID: "X",
		Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded}}
	reconcile := func() {
		t.Helper()
		if _, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com",
			records, false); err != nil {
			t.Fatal(err)
		}
	}
	reconcile()
	if got := scan(t, s); got.Opened != 1 {
		t.Fatalf("scan opened %d cases, want the difference's", got.Opened)
	}
	first := openCase(t, s, payout.CaseReconDifference, true)
	// Run again, the same difference: the case follows it to version 2,
	// keeping its owner, SLA and history.
	reconcile()
	if got := scan(t, s); got.Closed != 0 || got.Opened != 0 {
		t.Fatalf("scan after the run again = %+v, want the case carried, none closed or opened", got)
	}
	c := openCase(t, s, payout.CaseReconDifference, true)
	if c.ID != first.ID || c.Subject == first.Subject || !c.SLADueAt.Equal(first.SLADueAt) {
		t.Errorf("after version 2 the open case is %+v, want case %d on version 2's difference, due as before", c, first.ID)
	}
	if entries, err := s.AuditFor(ctx, "exception", fmt.Sprint(first.ID)); err != nil ||
		entries[len(entries)-1].Action != "exception.carry" {
		t.Errorf("the carry's audit: %+v %v", entries, err)
	}
	// Run again without that record's difference (another's instead): the
	// case closes, and the new difference gets a case of its own.
	records[0].ReferenceID, records[0].ProviderPayoutID = "Y", "pp-Y"
	reconcile()
	if got := scan(t, s); got.Closed != 1 || got.Opened != 1 {
		t.Fatalf("scan after version 3 = %+v, want the old case closed and one opened", got)
	}
	c, err := s.CaseByID(ctx, first.ID)
	if err != nil || c.State != "closed" || c.CloseNote == nil ||
		!strings.Contains(*c.CloseNote, "version 3 takes the place of version 2") {
		t.Errorf("old case = %+v, %v; want closed by the new version", c, err)
	}
	if again := openCase(t, s, payout.CaseReconDifference, true); again.ID == first.ID {
		t.Errorf("the open case is still the old one")
	}
}

// Two alike differences (the same statement line twice) each keep their
// own case when the day is reconciled again.
func TestAlikeReconCasesEachFollowTheirOwnDifference(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
	rec := payout.ProviderRecord{ProviderPayoutID: "pp-D", ReferenceID: "D", Amount: payout.Money{Minor: 100, Currency: "INR"},
		Status: payout.Succeeded}
	reconcile := func() {
		t.Helper()
		if _, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com",
			[]payout.ProviderRecord{rec, rec}, false); err != nil {
			t.Fatal(err)
		}
	}
	reconcile()
	if got := scan(t, s); got.Opened != 2 {
		t.Fatalf("scan opened %d cases, want one per difference", got.Opened)
	}
	reconcile()
	if got := scan(t, s); got.Opened != 0 || got.Closed != 0 {
		t.Fatalf("scan after the run again = %+v, want both cases carried", got)
	}
	cases, _, err := s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseReconDifference, Test: true})
	if err != nil || len(cases) != 2 || cases[0].Subject == cases[1].Subject {
		t.Fatalf("open cases %+v %v, want two on two differences", cases, err)
	}
	for _, c := range cases {
		var version int
		if err := s.DB().Get(&version, `SELECT r.version FROM recon_diffs d JOIN recon_runs r ON r.id = d.run_id
			WHERE 'recon_diff:' || d.id = $1`, c.Subject); err != nil || version != 2 {
			t.Errorf("case %d is on version %d's difference (%v), want version 2's", c.ID, version, err)
		}
	}
}

// A kind's owner set after its cases opened takes the unowned ones; a
// disabled user cannot be named owner, and one disabled since gets no new
// case.
func TestCaseOwnersAreActiveAndTakeTheUnownedCases(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.intake("OWN-1", nil)
	sentAndFailed(t, f.s, "OWN-1", "NO_FUNDS")
	scan(t, f.s)
	if c := openCase(t, f.s, payout.CaseFailed, false); c.OwnerID != nil {
		t.Fatalf("case owner %v before the kind had one", *c.OwnerID)
	}
	owner := &f.ops.UserID
	admin := store.Actor{Name: "admin@example.com"}
	if err := f.s.UpdateCaseKinds(ctx, admin, []store.CaseKindChange{{Kind: payout.CaseFailed, OwnerID: owner,
		SLAMinutes: 60}}, nil); err != nil {
		t.Fatal(err)
	}
	if c := openCase(t, f.s, payout.CaseFailed, false); c.OwnerID == nil || *c.OwnerID != *owner {
		t.Errorf("the unowned open case's owner = %v, want the kind's new owner", c.OwnerID)
	}
	if _, err := f.s.DB().ExecContext(ctx, `UPDATE users SET disabled_at = now() WHERE id = $1`, *owner); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UpdateCaseKinds(ctx, admin, []store.CaseKindChange{{Kind: payout.CaseAnomaly, OwnerID: owner,
		SLAMinutes: 60}}, nil); !errors.Is(err, store.ErrRefused) {
		t.Errorf("a disabled user as owner: %v, want refused", err)
	}
	f.intake("OWN-2", nil)
	sentAndFailed(t, f.s, "OWN-2", "NO_FUNDS")
	scan(t, f.s)
	cases, _, err := f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if strings.HasPrefix(c.Summary, "OWN-2") && c.OwnerID != nil {
			t.Errorf("a case opened for a disabled owner: %v", *c.OwnerID)
		}
	}
}

// Every failure after sending reaches a person: a case whose kind has no
// owner goes to a stand-in, the payout support owner of its payout's launch
// document, else the first active admin (a case about no payout, or one
// left ownerless from before), until the kind's owner takes it over.
func TestEveryCaseReachesAnOwner(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, u := range []struct {
		email string
		role  payout.Role
	}{{"admin@example.com", payout.RoleAdmin}, {"support@example.com", payout.RoleOps}} {
		id, err := f.s.CreateUser(ctx, store.User{Email: u.email, Name: u.email, Role: u.role, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ids[u.email] = id
	}
	if _, err := f.s.ApplyMarketDocs(ctx, []payout.LaunchDoc{launchDoc(t, "IN", "support@example.com", true)},
		store.ApplyOptions{AcceptUnverified: true}, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	owned := func(id int64, want int64, standsIn bool) {
		t.Helper()
		c, err := f.s.CaseByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.OwnerID == nil || *c.OwnerID != want || c.OwnerStandsIn != standsIn {
			t.Errorf("case %d (%s) owned by %v, stand-in %v; want user %d, stand-in %v", id, c.Kind, c.OwnerID,
				c.OwnerStandsIn, want, standsIn)
		}
	}

	f.intake("ROUTE-1", nil)
	sentAndFailed(t, f.s, "ROUTE-1", "NO_FUNDS")
	scan(t, f.s)
	failed := openCase(t, f.s, payout.CaseFailed, false)
	owned(failed.ID, ids["support@example.com"], true)
	entries, err := f.s.AuditFor(ctx, "exception", fmt.Sprint(failed.ID))
	if err != nil || len(entries) < 2 || entries[len(entries)-1].Action != "exception.reassign" ||
		!strings.Contains(string(entries[len(entries)-1].Details), "payout support owner") {
		t.Errorf("the stand-in's audit: %+v %v", entries, err)
	}

	var orphan int64
	if err := f.s.WithTx(ctx, func(q store.Querier) error {
		var err error
		orphan, err = store.OpenCase(ctx, q, store.NewCase{Kind: payout.CaseOrphanWebhook, Subject: "delivery:999",
			Summary: "a webhook for no payout", Livemode: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	owned(orphan, ids["admin@example.com"], true)
	// One left without an owner (opened before stand-ins) gets one at the
	// next scan.
	f.s.DB().MustExec(`UPDATE exception_cases SET owner_id = NULL, owner_stands_in = false WHERE id = $1`, orphan)
	scan(t, f.s)
	owned(orphan, ids["admin@example.com"], true)

	// A reconciliation difference is finance's: the first active finance
	// user stands in, whatever the launch document names.
	finance, err := f.s.CreateUser(ctx, store.User{Email: "finance@example.com", Name: "Finance", Role: payout.RoleFinance,
		PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var diff int64
	if err := f.s.WithTx(ctx, func(q store.Querier) error {
		var err error
		diff, err = store.OpenCase(ctx, q, store.NewCase{Kind: payout.CaseReconDifference, Subject: "recon_diff:999",
			PayoutID: failed.PayoutID, Summary: "a difference", Livemode: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	owned(diff, finance, true)

	// The kind's owner, once set, takes over from the stand-in.
	if err := f.s.UpdateCaseKinds(ctx, store.Actor{Name: "admin@example.com"}, []store.CaseKindChange{{Kind: payout.CaseFailed,
		OwnerID: &f.comp1.UserID, SLAMinutes: 60}}, nil); err != nil {
		t.Fatal(err)
	}
	owned(failed.ID, f.comp1.UserID, false)
	owned(orphan, ids["admin@example.com"], true)
	// A kind's owner saved as a stand-in was being given (the save did not
	// see the case yet): the next scan hands the case over.
	f.s.DB().MustExec(`UPDATE exception_kinds SET owner_id = $1 WHERE kind = 'orphan_webhook'`, f.comp2.UserID)
	scan(t, f.s)
	owned(orphan, f.comp2.UserID, false)
}
