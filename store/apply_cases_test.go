package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
)

func inr(minor int64) *payout.Money { return &payout.Money{Minor: minor, Currency: "INR"} }

func casesOf(t *testing.T, s *store.Store, p store.Payout, kind payout.CaseKind) []store.Case {
	t.Helper()
	all, err := s.CasesFor(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Case
	for _, c := range all {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// An observation stating another amount than the payout's opens one
// amount_mismatch case, with ours, theirs, the difference and the
// provider's words; the payout's status follows the provider. The same
// amount, or none stated, opens none.
func TestAmountMismatchOpensOneCase(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		amounts  []*payout.Money // stated by PROCESSING, then SUCCESS
		cases    int
		mismatch string
		diff     int64
	}{
		{"equal amounts", []*payout.Money{inr(125000), inr(125000)}, 0, "", 0},
		{"none stated", []*payout.Money{nil, nil}, 0, "", 0},
		{"underpaid, said twice", []*payout.Money{inr(120000), inr(120000)}, 1, payout.Underpayment, -5000},
		{"overpaid when it settles", []*payout.Money{inr(125000), inr(125001)}, 1, payout.Overpayment, 1},
		{"another currency", []*payout.Money{nil, {Minor: 125000, Currency: "USD"}}, 1, payout.CurrencyMismatch, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := "AMT-" + string(rune('A'+i))
			p := f.intake(ref, nil)
			for j, raw := range []string{"PROCESSING", "SUCCESS"} {
				st, _ := payout.ParseStatus(map[string]string{"PROCESSING": "PROCESSING", "SUCCESS": "SUCCEEDED"}[raw])
				res, err := f.s.ApplyObservation(ctx, ref, store.First(true), payout.Observation{Source: payout.SourceWebhook,
					ProviderPayoutID: "nxt_" + ref, RawStatus: raw, Status: st, Amount: tt.amounts[j]})
				if err != nil {
					t.Fatal(err)
				}
				if res.To != st {
					t.Errorf("%s: the payout is %s, want %s: the status follows the provider", raw, res.To, st)
				}
			}
			got := casesOf(t, f.s, p, payout.CaseAmountMismatch)
			if len(got) != tt.cases {
				t.Fatalf("%d amount cases, want %d: %+v", len(got), tt.cases, got)
			}
			if tt.cases == 0 {
				return
			}
			c := got[0]
			var ev map[string]any
			if err := json.Unmarshal(c.Evidence, &ev); err != nil {
				t.Fatal(err)
			}
			if ev["mismatch"] != tt.mismatch || ev["ours"] != "1,250.00 INR" || ev["provider_says"] == nil ||
				!c.Open() || c.Livemode != p.Livemode {
				t.Errorf("case %+v, evidence %v", c, ev)
			}
			if tt.mismatch != payout.CurrencyMismatch && ev["difference_minor"] != float64(tt.diff) {
				t.Errorf("difference %v, want %d", ev["difference_minor"], tt.diff)
			}
			if tt.mismatch == payout.Underpayment && !strings.Contains(c.Summary, "50.00 INR less") {
				t.Errorf("summary %q", c.Summary)
			}
		})
	}
}

// The case is opened in the transaction that applies the observation: when
// the apply fails after it (here a trigger refuses the payout's event row),
// neither the case nor the status change remains.
func TestAmountCaseIsInTheApplyTransaction(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("AMT-TX", nil)
	_, err := f.s.DB().ExecContext(ctx, `
		CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
		CREATE TRIGGER refuse_event BEFORE INSERT ON payout_events FOR EACH ROW EXECUTE FUNCTION refuse_event();`)
	if err != nil {
		t.Fatal(err)
	}
	obs := payout.Observation{Source: payout.SourceWebhook, ProviderPayoutID: "nxt_AMT-TX", RawStatus: "SUCCESS",
		Status: payout.Succeeded, Amount: inr(100000)}
	if _, err := f.s.ApplyObservation(ctx, "AMT-TX", store.First(true), obs); err == nil {
		t.Fatal("the apply succeeded though its event was refused")
	}
	if got := casesOf(t, f.s, p, payout.CaseAmountMismatch); len(got) != 0 {
		t.Errorf("a case outlived its failed apply: %+v", got)
	}
	if _, err := f.s.DB().ExecContext(ctx, `DROP TRIGGER refuse_event ON payout_events`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ApplyObservation(ctx, "AMT-TX", store.First(true), obs); err != nil {
		t.Fatal(err)
	}
	if got := casesOf(t, f.s, p, payout.CaseAmountMismatch); len(got) != 1 {
		t.Errorf("%d cases once the apply went through, want 1", len(got))
	}
}

// A webhook stating a smaller amount opens the case through IngestWebhook,
// with the delivery as evidence; so does an orphan event once its payout
// appears.
func TestWebhookAmountMismatch(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("AMT-WH", nil)
	ev := store.WebhookEvent{ID: "ev-1", Type: "payout.success", ProviderPayoutID: "nxt_AMT-WH", ReferenceID: "AMT-WH",
		Observation: payout.Observation{RawStatus: "SUCCESS", Status: payout.Succeeded, Amount: inr(124999)}}
	res, err := f.s.IngestWebhook(ctx, store.Delivery{Provider: "nxtbanking", Body: []byte(`{}`)}, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != store.OutcomeApplied || !strings.Contains(res.Detail, "underpayment") {
		t.Errorf("ingested %+v, want applied, saying the underpayment", res)
	}
	got := casesOf(t, f.s, p, payout.CaseAmountMismatch)
	if len(got) != 1 || !strings.Contains(string(got[0].Evidence), `"delivery":`) {
		t.Fatalf("cases %+v, want one with the delivery", got)
	}

	// An orphan: the event comes before the payout exists.
	orphan := store.WebhookEvent{ID: "ev-2", Type: "payout.success", ReferenceID: "AMT-LATE",
		Observation: payout.Observation{RawStatus: "SUCCESS", Status: payout.Succeeded, Amount: inr(1)}}
	if res, err := f.s.IngestWebhook(ctx, store.Delivery{Provider: "nxtbanking", Body: []byte(`{"o":1}`)}, orphan); err != nil ||
		res.Outcome != store.OutcomeOrphan {
		t.Fatalf("orphan: %+v %v", res, err)
	}
	late := f.intake("AMT-LATE", nil)
	if _, err := f.s.ApplyObservation(ctx, "AMT-LATE", store.First(true), payout.Observation{Source: payout.SourcePoll,
		ProviderPayoutID: "nxt_AMT-LATE", RawStatus: "PENDING", Status: payout.Processing}); err != nil {
		t.Fatal(err)
	}
	if got := casesOf(t, f.s, late, payout.CaseAmountMismatch); len(got) != 1 {
		t.Errorf("the adopted orphan opened %d amount cases, want 1", len(got))
	}
}

// RazorpayX's pending (waiting for approval in its workflow) and queued
// (with its reason) are kept on the payout as the provider's own
// sub-state; pending approval opens one case, which the exception scan
// closes once RazorpayX no longer holds the payout for approval.
func TestPendingApprovalAtTheProvider(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("RZP-APPROVE", func(r *payout.Request) { r.Provider = "razorpayx" })
	pending := payout.Observation{Source: payout.SourceWebhook, ProviderPayoutID: "pout_1", RawStatus: "pending",
		Status: payout.Queued, PendingApproval: true, Amount: inr(125000)}
	for range 2 {
		if _, err := f.s.ApplyObservation(ctx, "RZP-APPROVE", store.First(true), pending); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.s.PayoutByRef(ctx, "RZP-APPROVE", store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	if got.ProviderState != "pending" || !got.PendingApproval || got.Status != payout.Queued {
		t.Errorf("payout %s, provider state %q, pending approval %v", got.Status, got.ProviderState, got.PendingApproval)
	}
	cases := casesOf(t, f.s, p, payout.CasePendingApproval)
	if len(cases) != 1 || !strings.Contains(cases[0].Summary, "approval inside RazorpayX") {
		t.Fatalf("pending approval cases %+v, want one", cases)
	}
	if n := scan(t, f.s); n.Closed != 0 {
		t.Errorf("the scan closed %d cases while the payout still waits for approval", n.Closed)
	}

	// Approved, then queued for low balance: the reason is kept.
	queued := payout.Observation{Source: payout.SourceWebhook, ProviderPayoutID: "pout_1", RawStatus: "queued",
		Status: payout.Queued, StateReason: "low_balance: Your account balance is low."}
	if _, err := f.s.ApplyObservation(ctx, "RZP-APPROVE", store.First(true), queued); err != nil {
		t.Fatal(err)
	}
	got, _ = f.s.PayoutByRef(ctx, "RZP-APPROVE", store.First(true))
	if got.ProviderState != "queued" || got.ProviderStateReason != "low_balance: Your account balance is low." ||
		got.PendingApproval {
		t.Errorf("after queued: %q %q %v", got.ProviderState, got.ProviderStateReason, got.PendingApproval)
	}
	if n := scan(t, f.s); n.Closed != 1 {
		t.Errorf("the scan closed %d cases, want the pending approval one", n.Closed)
	}
	c, err := f.s.CaseByID(ctx, cases[0].ID)
	if err != nil || c.Open() || c.CloseNote == nil || !strings.Contains(*c.CloseNote, "no longer waiting for approval") {
		t.Errorf("case after approval: %+v %v", c, err)
	}
	// A stale pending after the payout moved on changes nothing.
	if _, err := f.s.ApplyObservation(ctx, "RZP-APPROVE", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		ProviderPayoutID: "pout_1", RawStatus: "processing", Status: payout.Processing}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ApplyObservation(ctx, "RZP-APPROVE", store.First(true), pending); err != nil {
		t.Fatal(err)
	}
	got, _ = f.s.PayoutByRef(ctx, "RZP-APPROVE", store.First(true))
	if got.PendingApproval || got.ProviderState != "processing" || len(casesOf(t, f.s, p, payout.CasePendingApproval)) != 1 {
		t.Errorf("a stale pending: state %q, pending approval %v", got.ProviderState, got.PendingApproval)
	}
}

// A difference someone settled (the case resolved) is not opened again by a
// later look carrying the same amount (the settled re-check asks for two
// days); a look carrying another amount is a new difference.
func TestASettledAmountDifferenceStaysSettled(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("AMT-SETTLED", nil)
	look := func(minor int64) {
		t.Helper()
		if _, err := f.s.ApplyObservation(ctx, "AMT-SETTLED", store.First(true), payout.Observation{Source: payout.SourcePoll,
			ProviderPayoutID: "nxt_AMT-SETTLED", RawStatus: "SUCCESS", Status: payout.Succeeded, Amount: inr(minor)}); err != nil {
			t.Fatal(err)
		}
	}
	look(90000)
	got := casesOf(t, f.s, p, payout.CaseAmountMismatch)
	if len(got) != 1 {
		t.Fatalf("%d cases, want 1", len(got))
	}
	if _, err := f.s.ResolveCase(ctx, got[0].ID, f.ops, "provider fee taken from the amount; platform told"); err != nil {
		t.Fatal(err)
	}
	look(90000)
	look(90000)
	if got := casesOf(t, f.s, p, payout.CaseAmountMismatch); len(got) != 1 {
		t.Fatalf("%d cases after two more looks at the settled amount, want the one resolved", len(got))
	}
	look(80000)
	if got := casesOf(t, f.s, p, payout.CaseAmountMismatch); len(got) != 2 {
		t.Errorf("%d cases after the provider states another amount, want a second", len(got))
	}
}

// A RazorpayX payout.reversed after payout.processed is recorded as an
// anomaly and opens its case; the payout stays SUCCEEDED, its ledger as it
// was (seed 003: processed is a last state).
func TestARazorpayXReversalAfterProcessedIsAnAnomaly(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("RZP-REV", func(r *payout.Request) { r.Provider = "razorpayx" })
	for _, obs := range []payout.Observation{
		{Source: payout.SourceWebhook, ProviderPayoutID: "pout_RZPREV", RawStatus: "processed", Status: payout.Succeeded, UTR: "UTRRZP1"},
		{Source: payout.SourceWebhook, ProviderPayoutID: "pout_RZPREV", RawStatus: "reversed", Status: payout.Reversed},
	} {
		if _, err := f.s.ApplyObservation(ctx, "RZP-REV", store.First(true), obs); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.status("RZP-REV"); got != payout.Succeeded {
		t.Fatalf("payout is %s after a reversal after processed, want SUCCEEDED", got)
	}
	if _, err := f.s.ScanExceptions(ctx, classify); err != nil {
		t.Fatal(err)
	}
	if got := casesOf(t, f.s, p, payout.CaseAnomaly); len(got) != 1 {
		t.Errorf("%d anomaly cases, want 1", len(got))
	}
}
