package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
)

// withRules applies a live IN document whose rules edit sets, owned by the
// fixture's ops user.
func (f *holdFixture) withRules(edit func(d *payout.LaunchDoc)) {
	f.t.Helper()
	d := launchDoc(f.t, "IN", "ops@example.com", true)
	edit(&d)
	if err := d.Validate(); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.s.ApplyMarketDocs(context.Background(), []payout.LaunchDoc{d},
		store.ApplyOptions{AcceptUnverified: true, Reason: "rules for the test"}, store.Actor{Name: "test"}); err != nil {
		f.t.Fatal(err)
	}
}

func twoApprovalsAt(amount string, bulk bool) func(d *payout.LaunchDoc) {
	return func(d *payout.LaunchDoc) {
		d.Approvals = []payout.ApprovalRule{{Currency: "INR", AtOrAbove: amount, Approvers: 2, Bulk: bulk}}
	}
}

func TestTwoApprovalsByDifferentPeopleReleaseInOrder(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	// 5,00,000.00 is above the 2,00,000.00 review threshold and at the rule.
	f.withRules(twoApprovalsAt("500000.00", false))
	p := f.intake("APPR-1", func(r *payout.Request) { r.AmountMinor = 50000000 })
	h := f.holds(p)[payout.ReasonReview]
	if h.ID == 0 {
		t.Fatal("no review hold on a payout under a two-approval rule")
	}

	first, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "checked the invoice and the contract", holdPolicy, store.AnyShown)
	if err != nil || !first.Approved || first.Approvals != 1 || first.Needed != 2 {
		t.Fatalf("first approval = %+v, %v; want approved 1 of 2, hold open", first, err)
	}
	if got := f.status("APPR-1"); got != payout.Held {
		t.Fatalf("after one of two approvals the payout is %s, want HELD", got)
	}

	_, err = f.s.ReleaseHold(ctx, h.ID, f.comp1, "approving again myself", holdPolicy, store.AnyShown)
	if !errors.Is(err, store.ErrFourEyes) || !strings.Contains(err.Error(), "earlier approval") {
		t.Fatalf("the same person's second approval: %v, want refused (four-eyes)", err)
	}

	approvals, err := f.s.ApprovalsFor(ctx, p.ID)
	if err != nil || len(approvals) != 1 || approvals[0].Note != "checked the invoice and the contract" ||
		approvals[0].UserID != f.comp1.UserID {
		t.Fatalf("approvals the second approver sees = %+v, %v; want the first's, with its note", approvals, err)
	}

	// Decided on a page opened before the first approval: its note was
	// never read, so nothing is decided.
	before := store.Shown{Evidence: store.AnyEvidence, Approvals: 0}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "agreed", holdPolicy, before); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "gave approval 1 of 2") || !strings.Contains(err.Error(), "checked the invoice") {
		t.Fatalf("the second approval on a page older than the first: %v, want refused naming the first and its note", err)
	}
	if _, err := f.s.RejectHold(ctx, h.ID, f.comp2, "no", before); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("a rejection on a page older than the first approval: %v, want refused", err)
	}
	if got := f.status("APPR-1"); got != payout.Held {
		t.Fatalf("a refused decision left the payout %s, want HELD", got)
	}

	second, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "read the first note; agreed", holdPolicy,
		store.Shown{Evidence: store.AnyEvidence, Approvals: 1})
	if err != nil || second.Approved || !second.Queued || second.Approvals != 2 {
		t.Fatalf("second approval = %+v, %v; want the hold released and the payout queued", second, err)
	}
	if got := f.status("APPR-1"); got != payout.Queued {
		t.Fatalf("after both approvals the payout is %s, want QUEUED", got)
	}
	if approvals, _ = f.s.ApprovalsFor(ctx, p.ID); len(approvals) != 2 || approvals[1].Seq != 2 {
		t.Fatalf("approvals after release = %+v, want two in order", approvals)
	}
}

// A rule lowered from two approvals to one after the first: the hold is not
// stranded (every further approval refused); the next person releases it,
// and the one who approved still cannot.
func TestARuleLoweredAfterAnApprovalLetsTheNextPersonRelease(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.withRules(twoApprovalsAt("500000.00", false))
	p := f.intake("APPR-LOW", func(r *payout.Request) { r.AmountMinor = 50000000 })
	h := f.holds(p)[payout.ReasonReview]
	if first, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "checked the invoice and the contract", holdPolicy, store.AnyShown); err != nil ||
		!first.Approved {
		t.Fatalf("first approval = %+v, %v", first, err)
	}
	f.withRules(func(d *payout.LaunchDoc) {
		d.Approvals = []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "500000.00", Approvers: 1}}
	})
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "releasing it myself now", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrFourEyes) {
		t.Fatalf("the first approver releasing: %v, want refused (four-eyes)", err)
	}
	res, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "read the first note; agreed", holdPolicy, store.AnyShown)
	if err != nil || res.Approved || !res.Queued {
		t.Fatalf("release after the rule was lowered = %+v, %v; want the hold released", res, err)
	}
	if got := f.status("APPR-LOW"); got != payout.Queued {
		t.Fatalf("payout is %s, want QUEUED", got)
	}
	if approvals, _ := f.s.ApprovalsFor(ctx, p.ID); len(approvals) != 1 {
		t.Errorf("approvals = %+v, want the one given (the release is not another)", approvals)
	}
}

func TestAnApprovalRuleHoldsAmountsUnderTheReviewThreshold(t *testing.T) {
	f := newHoldFixture(t)
	// 1,500.00 is under the 2,00,000.00 threshold but at a one-approval rule.
	f.withRules(func(d *payout.LaunchDoc) {
		d.Approvals = []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "1000.00", Approvers: 1}}
	})
	p := f.intake("APPR-2", func(r *payout.Request) { r.AmountMinor = 150000 })
	h := f.holds(p)[payout.ReasonReview]
	if h.ID == 0 || !strings.Contains(h.Detail, "approval rule") {
		t.Fatalf("review hold = %+v, want one placed by the approval rule", h)
	}
	rel, err := f.s.ReleaseHold(context.Background(), h.ID, f.comp1, "one approval is enough here", holdPolicy, store.AnyShown)
	if err != nil || rel.Approved || !rel.Queued {
		t.Fatalf("the one approval = %+v, %v; want released", rel, err)
	}
	if small := f.intake("APPR-3", func(r *payout.Request) { r.AmountMinor = 99999 }); len(f.holds(small)) != 0 {
		t.Fatalf("a payout under the rule was held: %+v", f.holds(small))
	}
}

func TestBulkApprovalOnlyWhereTheRuleAllowsIt(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.withRules(twoApprovalsAt("500000.00", false))
	h := f.holds(f.intake("APPR-4", func(r *payout.Request) { r.AmountMinor = 50000000 }))[payout.ReasonReview]
	if _, err := f.s.ReleaseHoldInBulk(ctx, h.ID, f.comp1, "bulk approving the morning's holds", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "payout's page") {
		t.Fatalf("bulk approval under a rule without bulk: %v, want refused", err)
	}
	if a, _ := f.s.ApprovalsFor(ctx, h.PayoutID); len(a) != 0 {
		t.Fatalf("a refused bulk approval was recorded: %+v", a)
	}

	f.withRules(twoApprovalsAt("500000.00", true))
	rel, err := f.s.ReleaseHoldInBulk(ctx, h.ID, f.comp1, "bulk approving the morning's holds", holdPolicy, store.AnyShown)
	if err != nil || !rel.Approved {
		t.Fatalf("bulk approval where allowed = %+v, %v", rel, err)
	}
}

func TestAFinalApprovalRefusedByAGateIsNotRecorded(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	oneApproval := func(d *payout.LaunchDoc) {
		d.Approvals = []payout.ApprovalRule{{Currency: "INR", AtOrAbove: "1000.00", Approvers: 1}}
	}
	f.withRules(oneApproval)
	p := f.intake("APPR-5", func(r *payout.Request) { r.AmountMinor = 150000 })
	h := f.holds(p)[payout.ReasonReview]
	// IN goes back to read-only while the payout waits: the market gate now
	// fails with no hold of its own, so the approval cannot release it.
	if _, err := f.s.SetMarketReadOnly(ctx, "IN", payout.DefaultProgram, f.ops, "incident"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "approve while read-only", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("release in a read-only market: %v, want refused by the market gate", err)
	}
	if a, _ := f.s.ApprovalsFor(ctx, p.ID); len(a) != 0 {
		t.Fatalf("an approval was recorded though its release was refused: %+v", a)
	}
	// Live again as after a stop: proposed by one, approved by another.
	d := launchDoc(t, "IN", "ops@example.com", true)
	oneApproval(&d)
	prop, err := f.s.ProposeMarketDoc(ctx, d, f.ops, "incident over")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ApproveMarketProposal(ctx, prop.ID, f.comp2, "provider confirmed", true); err != nil {
		t.Fatal(err)
	}
	if rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "approve now IN is live", holdPolicy, store.AnyShown); err != nil || !rel.Queued {
		t.Fatalf("the same approver once IN is live again = %+v, %v", rel, err)
	}
}

func TestUnblockEvidenceIsAttachedBeforeRelease(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	f.withRules(func(d *payout.LaunchDoc) {
		d.HoldReasons = []payout.HoldRule{{Reason: payout.ReasonReview, UnblockEvidence: "the signed invoice"}}
	})
	h := f.holds(f.intake("UNBLOCK-1", func(r *payout.Request) { r.AmountMinor = 30000000 }))[payout.ReasonReview]
	_, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "looks fine to me", holdPolicy, store.AnyShown)
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "the signed invoice") {
		t.Fatalf("release without the unblock evidence: %v, want refused naming it", err)
	}
	if _, err := f.s.AddEvidence(ctx, h.ID, f.ops, "signed invoice attached", "https://docs.example.com/inv/1", ""); err != nil {
		t.Fatal(err)
	}
	if rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "invoice matches", holdPolicy, store.AnyShown); err != nil || !rel.Queued {
		t.Fatalf("release with the evidence attached = %+v, %v", rel, err)
	}
}

func TestTheDocumentChoosesTheGatesThatApply(t *testing.T) {
	f := newHoldFixture(t)
	f.withRules(func(d *payout.LaunchDoc) {
		no := false
		d.TaxArtifactsRequired = &no
	})
	p := f.intake("GATES-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing })
	if hs := f.holds(p); len(hs) != 0 {
		t.Fatalf("tax artifacts not required, yet held: %+v", hs)
	}
	f.withRules(func(d *payout.LaunchDoc) { d.Gates = []payout.Reason{payout.ReasonTax} })
	p = f.intake("GATES-2", func(r *payout.Request) { r.AmountMinor = 90000000 })
	if hs := f.holds(p); len(hs) != 0 {
		t.Fatalf("review not among the document's gates, yet held: %+v", hs)
	}
	p = f.intake("GATES-3", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	if _, held := f.holds(p)[payout.ReasonTax]; !held {
		t.Fatal("the tax gate, listed, did not hold a payout with an expired artifact")
	}
}
