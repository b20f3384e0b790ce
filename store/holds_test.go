package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

var holdPolicy, _ = payout.ParsePolicy("INR=200000.00")

type holdFixture struct {
	t                        *testing.T
	s                        *store.Store
	ops, comp1, comp2, comp3 store.Actor
}

func newHoldFixture(t *testing.T) *holdFixture {
	f := &holdFixture{t: t, s: pgtest.New(t)}
	for _, u := range []struct {
		a     *store.Actor
		email string
		role  payout.Role
	}{{&f.ops, "ops@example.com", payout.RoleOps}, {&f.comp1, "comp1@example.com", payout.RoleCompliance},
		{&f.comp2, "comp2@example.com", payout.RoleCompliance}, {&f.comp3, "comp3@example.com", payout.RoleCompliance}} {
		id, err := f.s.CreateUser(context.Background(), store.User{Email: u.email, Name: u.email, Role: u.role, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		*u.a = store.Actor{UserID: id, Name: u.email}
	}
	return f
}

// intake records ref through the gates, to a live provider (the
// sandbox's would be test payouts); edit changes the request first.
func (f *holdFixture) intake(ref string, edit func(r *payout.Request)) store.Payout {
	f.t.Helper()
	r := payout.Request{ReferenceID: ref, Provider: "nxtbanking", AmountMinor: 125000, Currency: "INR", Market: "IN",
		Metadata: []byte(`{}`), Beneficiary: payout.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
			IFSC: "HDFC0001234", TaxArtifact: payout.TaxPresent}}
	if edit != nil {
		edit(&r)
	}
	if _, err := f.s.Intake(context.Background(), r, holdPolicy, store.Actor{Name: "api:test"}); err != nil {
		f.t.Fatal(err)
	}
	p, err := f.s.PayoutByRef(context.Background(), ref, store.Exactly(payout.Livemode(r.Provider)))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *holdFixture) holds(p store.Payout) map[payout.Reason]store.Hold {
	f.t.Helper()
	hs, err := f.s.HoldsFor(context.Background(), p.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[payout.Reason]store.Hold{}
	for _, h := range hs {
		out[h.Reason] = h
	}
	return out
}

func (f *holdFixture) payout(ref string) store.Payout {
	f.t.Helper()
	p, err := f.s.PayoutByRef(context.Background(), ref, store.First(true))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *holdFixture) status(ref string) payout.Status {
	p, err := f.s.PayoutByRef(context.Background(), ref, store.First(true))
	if err != nil {
		f.t.Fatal(err)
	}
	return p.Status
}

func TestReleaseIsFourEyes(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("FE-1", func(r *payout.Request) { r.AmountMinor = 30000000 })
	h := f.holds(p)[payout.ReasonReview]
	if p.Status != payout.Held || h.ID == 0 || h.PlacedBy != "api:test" {
		t.Fatalf("payout %s, hold %+v", p.Status, h)
	}
	// comp1 adds the deciding evidence and ops a note after it: comp1
	// still may not release.
	if _, err := f.s.AddEvidence(ctx, h.ID, f.comp1, "seller's contract checked", "https://docs.example.com/c/9", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AddEvidence(ctx, h.ID, f.ops, "seller asked for news", "", ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "looks fine", holdPolicy, store.AnyShown)
	if !errors.Is(err, store.ErrFourEyes) || !strings.Contains(err.Error(), "you added evidence") {
		t.Fatalf("release by the evidence adder: %v", err)
	}
	if f.status("FE-1") != payout.Held || !f.holds(p)[payout.ReasonReview].Open() {
		t.Fatal("a refused release changed the payout")
	}
	// comp2 may: the review gate passes on the release itself.
	rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "reviewed the contract", holdPolicy, store.AnyShown)
	if err != nil || !rel.Queued {
		t.Fatalf("release by another compliance user: %+v %v", rel, err)
	}
	if f.status("FE-1") != payout.Queued {
		t.Fatal("released payout not queued")
	}
	got := f.holds(p)[payout.ReasonReview]
	if got.State != "released" || got.DecidedBy == nil || *got.DecidedBy != f.comp2.Name || *got.DecisionNote != "reviewed the contract" {
		t.Fatalf("hold after release: %+v", got)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp3, "again", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("second release: %v", err)
	}
	entries, _ := f.s.AuditFor(ctx, "payout", "FE-1")
	actions := ""
	for _, e := range entries {
		actions += e.Action + " "
	}
	if !strings.Contains(actions, "hold.place") || !strings.Contains(actions, "hold.evidence") || !strings.Contains(actions, "hold.release ") {
		t.Fatalf("audit log: %s", actions)
	}
}

func TestAUserWhoPlacedAHoldCannotReleaseIt(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("FE-2", nil)
	// The worker would place a funding hold as "submitter"; a user-placed
	// hold is the case to check, so place one through the store's own path.
	if _, err := f.s.DB().Exec(`UPDATE payouts SET status = 'HELD' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	var holdID int64
	if err := f.s.DB().Get(&holdID, `INSERT INTO holds (payout_id, reason, detail, placed_by, placed_by_user_id, sla_due_at)
		VALUES ($1, 'manual_review', 'looks odd', $2, $3, now() + interval '1 hour') RETURNING id`, p.ID, f.comp1.Name, f.comp1.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ReleaseHold(ctx, holdID, f.comp1, "fine after all", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrFourEyes) ||
		!strings.Contains(err.Error(), "you placed") {
		t.Fatalf("release by the placer: %v", err)
	}
	if _, err := f.s.ReleaseHold(ctx, holdID, f.comp2, "fine after all", holdPolicy, store.AnyShown); err != nil {
		t.Fatal(err)
	}
}

func TestReleaseEvaluatesTheGatesAgain(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("RE-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	h := f.holds(p)[payout.ReasonTax]
	before, _ := f.s.GateEvaluationsFor(ctx, p.ID)

	rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "please", holdPolicy, store.AnyShown)
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "tax artifact is expired") || rel.Answer == "" {
		t.Fatalf("release with the tax artifact still expired: %+v %v", rel, err)
	}
	after, _ := f.s.GateEvaluationsFor(ctx, p.ID)
	if len(after) != len(before)+5 || after[len(after)-1].Occasion != "release" || after[len(after)-1].Actor != f.comp2.Name {
		t.Fatalf("the refused release's evaluations were not recorded: %d then %d", len(before), len(after))
	}
	if f.status("RE-1") != payout.Held || !f.holds(p)[payout.ReasonTax].Open() {
		t.Fatal("a refused release changed the payout")
	}

	// The artifact's state is evidence on the tax hold only.
	p2 := f.intake("RE-0", func(r *payout.Request) { r.AmountMinor = 30000000 })
	if _, err := f.s.AddEvidence(ctx, f.holds(p2)[payout.ReasonReview].ID, f.comp1, "tax fine", "", payout.TaxPresent); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("tax artifact on a review hold: %v", err)
	}
	// comp1 records the new artifact; comp2 releases.
	if _, err := f.s.AddEvidence(ctx, h.ID, f.comp1, "renewed certificate received", "", payout.TaxPresent); err != nil {
		t.Fatal(err)
	}
	if rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "artifact current", holdPolicy, store.AnyShown); err != nil || !rel.Queued {
		t.Fatalf("release after the artifact: %+v %v", rel, err)
	}

	// A read-only market stays refused however often it is released.
	p = f.intake("RE-2", func(r *payout.Request) { r.Market = "PH" })
	h = f.holds(p)[payout.ReasonMarket]
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "go", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "market PH is read-only") {
		t.Fatalf("release into a read-only market: %v", err)
	}
	// Once PH is live, it goes.
	goLive(t, f.s, "PH")
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "PH is live now", holdPolicy, store.AnyShown); err != nil {
		t.Fatal(err)
	}
}

func TestAPayoutWithTwoHoldsWaitsForBoth(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("TWO-1", func(r *payout.Request) {
		r.AmountMinor = 30000000
		r.Beneficiary.TaxArtifact = payout.TaxUnderReview
	})
	hs := f.holds(p)
	if len(hs) != 2 {
		t.Fatalf("holds: %v", hs)
	}
	// The review can be released while the tax hold stays open.
	rel, err := f.s.ReleaseHold(ctx, hs[payout.ReasonReview].ID, f.comp1, "amount fine", holdPolicy, store.AnyShown)
	if err != nil || rel.Queued || f.status("TWO-1") != payout.Held {
		t.Fatalf("first release: %+v %v, status %s", rel, err, f.status("TWO-1"))
	}
	// Its holds changed, which the platform's JSON shows: so does its
	// updated time, for a platform listing by it.
	if after, _ := f.s.PayoutByRef(ctx, "TWO-1", store.First(true)); !after.UpdatedAt.After(p.UpdatedAt) {
		t.Errorf("updated at %s after a hold's release, want later than %s", after.UpdatedAt, p.UpdatedAt)
	}
	if _, err := f.s.AddEvidence(ctx, hs[payout.ReasonTax].ID, f.ops, "tax team approved", "", payout.TaxPresent); err != nil {
		t.Fatal(err)
	}
	// The review approval still counts for the second release.
	if rel, err := f.s.ReleaseHold(ctx, hs[payout.ReasonTax].ID, f.comp1, "tax fine", holdPolicy, store.AnyShown); err != nil || !rel.Queued {
		t.Fatalf("second release: %+v %v", rel, err)
	}
}

func TestRejectCancelsThePayout(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("RJ-1", func(r *payout.Request) {
		r.Beneficiary.IFSC = ""
		r.Beneficiary.TaxArtifact = payout.TaxMissing
	})
	hs := f.holds(p)
	if _, err := f.s.RejectHold(ctx, hs[payout.ReasonBeneficiary].ID, f.comp1, "no bank details, platform to resend", store.AnyShown); err != nil {
		t.Fatal(err)
	}
	if f.status("RJ-1") != payout.Cancelled {
		t.Fatal("rejected payout not cancelled")
	}
	for _, h := range f.holds(p) {
		if h.State != "rejected" {
			t.Errorf("hold %s is %s after the payout was rejected", h.Reason, h.State)
		}
	}
	if _, err := f.s.ReleaseHold(ctx, hs[payout.ReasonTax].ID, f.comp2, "x", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("release after reject: %v", err)
	}
}

func TestReassignEscalateAndTheSLA(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	// No owners configured: escalation says where to set one.
	p := f.intake("ES-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing })
	h := f.holds(p)[payout.ReasonTax]
	if h.OwnerID != nil {
		t.Fatalf("owner without configuration: %v", *h.OwnerID)
	}
	if _, err := f.s.EscalateHold(ctx, h.ID, f.ops, "urgent"); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "Owners and SLAs") {
		t.Fatalf("escalate without a next owner: %v", err)
	}
	// An admin sets the tax owner and the escalation owner; new holds get them.
	if err := f.s.UpdateHoldReasons(ctx, store.Actor{Name: "admin"}, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, NextOwnerID: &f.comp2.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	p2 := f.intake("ES-2", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	h2 := f.holds(p2)[payout.ReasonTax]
	if h2.OwnerID == nil || *h2.OwnerID != f.comp1.UserID || h2.SLADueAt.Sub(h2.PlacedAt).Round(time.Minute) != time.Hour {
		t.Fatalf("hold under the new configuration: %+v", h2)
	}
	if _, err := f.s.ReassignHold(ctx, h.ID, f.ops.UserID, f.comp1, "ops has the seller on the phone"); err != nil {
		t.Fatal(err)
	}
	if got := f.holds(p)[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.ops.UserID {
		t.Fatalf("reassigned hold: %+v", got)
	}
	if _, err := f.s.ReassignHold(ctx, h.ID, 999999, f.comp1, "x"); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("reassign to nobody: %v", err)
	}
	if _, err := f.s.EscalateHold(ctx, h.ID, f.ops, "seller unreachable"); err != nil {
		t.Fatal(err)
	}
	if got := f.holds(p)[payout.ReasonTax]; *got.OwnerID != f.comp2.UserID || got.EscalatedAt == nil {
		t.Fatalf("escalated hold: %+v", got)
	}

	// Two hours on, ES-2 is past its one-hour SLA: the job escalates it once,
	// and the holds page lists it first.
	later := time.Now().Add(2 * time.Hour)
	if n, err := f.s.EscalateOverdue(ctx, later); err != nil || n != 1 {
		t.Fatalf("escalate overdue: %d %v", n, err)
	}
	if n, _ := f.s.EscalateOverdue(ctx, later); n != 0 {
		t.Fatalf("escalated again: %d", n)
	}
	got := f.holds(p2)[payout.ReasonTax]
	if got.EscalatedAt == nil || *got.OwnerID != f.comp2.UserID {
		t.Fatalf("overdue hold: %+v", got)
	}
	p3 := f.intake("ES-3", func(r *payout.Request) { r.AmountMinor = 30000000 })
	_ = p3
	list, total, err := f.s.OpenHolds(ctx, store.HoldFilter{Now: later, Limit: 10})
	if err != nil || total.Open != 3 || list[0].EscalatedAt == nil {
		t.Fatalf("open holds: %+v %v, first %+v", total, err, list[0])
	}
	mine, counts, _ := f.s.OpenHolds(ctx, store.HoldFilter{OwnerID: f.comp2.UserID, Now: later, Limit: 10})
	if len(mine) != 2 || counts.Open != 2 {
		t.Fatalf("comp2's holds: %d (%+v)", len(mine), counts)
	}
	// The counts are the filter's: of comp2's two, the overdue ones.
	overdue := 0
	for _, h := range mine {
		if h.EscalatedAt != nil || h.SLADueAt.Before(later) {
			overdue++
		}
	}
	if counts.Overdue != overdue || total.Overdue < counts.Overdue {
		t.Errorf("comp2's overdue count %d, want %d of their holds (all: %d)", counts.Overdue, overdue, total.Overdue)
	}
	review, _, _ := f.s.OpenHolds(ctx, store.HoldFilter{Reason: payout.ReasonReview, Now: later, Limit: 10})
	if len(review) != 1 || review[0].ReferenceID != "ES-3" {
		t.Fatalf("review holds: %+v", review)
	}
}

// A held payout the provider has spoken about (a webhook reached it while
// held) cannot be rejected: CANCELLED would tell the platform no money went
// while the provider has it. It may still be released.
func TestAHeldPayoutTheProviderHasIsNotRejected(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("HAS-1", func(r *payout.Request) { r.AmountMinor = 30000000 })
	h := f.holds(p)[payout.ReasonReview]
	if p.Status != payout.Held || h.ID == 0 {
		t.Fatalf("payout %s, hold %+v", p.Status, h)
	}
	if _, err := f.s.ApplyObservation(ctx, "HAS-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		ProviderPayoutID: "nxt_HAS-1", RawStatus: "PENDING", Status: payout.Processing}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RejectHold(ctx, h.ID, f.comp1, "too large", store.AnyShown); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "has the payout") {
		t.Fatalf("reject of a payout the provider has: %v, want refused", err)
	}
	if got, _ := f.s.PayoutByRef(ctx, "HAS-1", store.First(true)); got.Status != payout.Held {
		t.Errorf("after the refused reject: %s, want HELD", got.Status)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "provider has it: let its answer decide", holdPolicy, store.AnyShown); err != nil {
		t.Fatalf("release: %v", err)
	}
}

// A reason owner disabled since they were named gets no new hold, and an
// escalation owner disabled since gets no escalated one: the hold keeps who
// had it (or nobody), for an admin to see on the holds page.
func TestADisabledOwnerGetsNoNewHold(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	if err := f.s.UpdateHoldReasons(ctx, store.Actor{Name: "admin"}, []store.HoldReasonChange{{Reason: payout.ReasonTax,
		OwnerID: &f.comp1.UserID, NextOwnerID: &f.comp2.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	f.s.DB().MustExec(`UPDATE users SET disabled_at = now() WHERE id IN ($1, $2)`, f.comp1.UserID, f.comp2.UserID)
	p := f.intake("DIS-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	h := f.holds(p)[payout.ReasonTax]
	if h.ID == 0 || h.OwnerID != nil {
		t.Fatalf("tax hold %+v, want one owned by nobody (its owner is disabled)", h)
	}
	if _, err := f.s.EscalateHold(ctx, h.ID, f.ops, "seller silent for two days"); !errors.Is(err, store.ErrRefused) {
		t.Errorf("escalating to a disabled escalation owner: %v, want refused", err)
	}
}

// A release of a payout the provider has already (it answered about it while
// held) says so: nothing is sent again, the provider's answer decides.
func TestAReleaseSaysWhenTheProviderHasThePayout(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	p := f.intake("ATP-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	h := f.holds(p)[payout.ReasonTax]
	f.s.DB().MustExec(`UPDATE payouts SET submitted_at = now() WHERE id = $1`, p.ID)
	f.s.DB().MustExec(`UPDATE beneficiaries SET tax_artifact = 'present' WHERE id = (SELECT beneficiary_id FROM payouts WHERE id = $1)`, p.ID)
	res, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "renewed certificate checked", holdPolicy, store.AnyShown)
	if err != nil || !res.Queued || !res.AtProvider {
		t.Fatalf("release = %+v, %v; want queued, at the provider", res, err)
	}
	q := f.intake("ATP-2", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired })
	f.s.DB().MustExec(`UPDATE beneficiaries SET tax_artifact = 'present' WHERE id = (SELECT beneficiary_id FROM payouts WHERE id = $1)`, q.ID)
	if res, err := f.s.ReleaseHold(ctx, f.holds(q)[payout.ReasonTax].ID, f.comp1, "renewed certificate checked", holdPolicy, store.AnyShown); err != nil ||
		!res.Queued || res.AtProvider {
		t.Fatalf("release of a payout never sent = %+v, %v; want queued, not at the provider", res, err)
	}
}

// Disabling a user hands their open work back: a hold they own goes to its
// reason's owner (or nobody when that is them), a case to its kind's owner,
// and the owner slots naming them are emptied, each audited; decided work
// keeps its name.
func TestDisablingAUserHandsTheirOpenWorkBack(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	if err := f.s.UpdateHoldReasons(ctx, admin, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, NextOwnerID: &f.comp3.UserID, SLAMinutes: 60},
		{Reason: payout.ReasonReview, OwnerID: &f.comp3.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UpdateCaseKinds(ctx, admin, []store.CaseKindChange{{Kind: payout.CaseFailed, OwnerID: &f.comp3.UserID,
		SLAMinutes: 60}}, nil); err != nil {
		t.Fatal(err)
	}
	// comp1 owns the tax hold by default; comp3 is given a second one.
	f.intake("HB-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing })
	other := f.holds(f.intake("HB-2", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired }))[payout.ReasonTax]
	if _, err := f.s.ReassignHold(ctx, other.ID, f.comp3.UserID, f.comp1, "yours"); err != nil {
		t.Fatal(err)
	}
	f.intake("HB-3", nil)
	sentAndFailed(t, f.s, "HB-3", "NO_FUNDS")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)

	ch, err := f.s.DisableUser(ctx, "comp3@example.com", admin)
	if err != nil {
		t.Fatal(err)
	}
	if ch.HandedBack != (store.HandedBack{Holds: 1, Cases: 1, Slots: 3}) {
		t.Errorf("handed back %+v, want one hold, one case, three owner slots (tax's escalation, review's, failed's)",
			ch.HandedBack)
	}
	if got := f.holds(f.payout("HB-2"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("comp3's hold is owned by %v, want the tax reason's owner (comp1)", got.OwnerID)
	}
	if got := f.holds(f.payout("HB-1"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("comp1's own hold changed owner: %v", got.OwnerID)
	}
	if got, err := f.s.CaseByID(ctx, c.ID); err != nil || got.OwnerID != nil {
		t.Errorf("comp3's case owner = %v (%v), want nobody: the failed kind's owner was comp3", got.OwnerID, err)
	}
	reasons, err := f.s.HoldReasons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reasons {
		if (r.OwnerID != nil && *r.OwnerID == f.comp3.UserID) || (r.NextOwnerID != nil && *r.NextOwnerID == f.comp3.UserID) {
			t.Errorf("reason %s still names the disabled user: %+v", r.Reason, r)
		}
		if r.Reason == payout.ReasonTax && (r.OwnerID == nil || *r.OwnerID != f.comp1.UserID) {
			t.Errorf("the tax reason's owner (comp1) was emptied too: %+v", r)
		}
	}
	var audits int
	f.s.DB().QueryRowx(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action IN
		('hold.reassign', 'exception.reassign', 'hold_reason.update', 'exception_kind.update')
		AND details->>'note' LIKE '%disabled%'`, admin.Name).Scan(&audits)
	if audits != 5 {
		t.Errorf("%d audit entries for the hand-back, want 5 (a hold, a case, two reasons, a kind)", audits)
	}
	// Enabling them again gives nothing back: work moved on.
	if _, err := f.s.EnableUser(ctx, "comp3@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if got := f.holds(f.payout("HB-2"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("the hold went back on enable: %v", got.OwnerID)
	}
}

// An escalated hold of a disabled user goes back to the reason's escalation
// owner, not to the default owner it was escalated away from.
func TestAnEscalatedHoldGoesBackToTheEscalationOwner(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	if err := f.s.UpdateHoldReasons(ctx, admin, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, NextOwnerID: &f.comp2.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	h := f.holds(f.intake("HB-E", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing }))[payout.ReasonTax]
	if _, err := f.s.EscalateHold(ctx, h.ID, f.ops, "seller silent"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ReassignHold(ctx, h.ID, f.comp3.UserID, f.comp2, "you know this seller"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.DisableUser(ctx, "comp3@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if got := f.holds(f.payout("HB-E"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp2.UserID {
		t.Errorf("the escalated hold went to %v, want the escalation owner (comp2)", got.OwnerID)
	}
}

// Work that reached a user as they were disabled (a reassign that read them
// active, and wrote after the disable's hand-back looked) is given back by
// the sweep the hold SLA job runs: a hold, a case and an owner slot left
// with a disabled user go to their defaults, audited by the sweep's actor;
// an enabled user keeps theirs, and a second sweep finds nothing.
func TestTheSweepGivesBackWhatADisabledUserStillHolds(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	if err := f.s.UpdateHoldReasons(ctx, admin, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	late := f.holds(f.intake("SW-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing }))[payout.ReasonTax]
	kept := f.holds(f.intake("SW-2", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxExpired }))[payout.ReasonTax]
	f.intake("SW-3", nil)
	sentAndFailed(t, f.s, "SW-3", "NO_FUNDS")
	scan(t, f.s)
	c := openCase(t, f.s, payout.CaseFailed, false)
	if _, err := f.s.DisableUser(ctx, "comp3@example.com", admin); err != nil {
		t.Fatal(err)
	}
	// What the race leaves: written after the hand-back, as if by a
	// reassign and an owners' page save that read comp3 active.
	f.s.DB().MustExec(`UPDATE holds SET owner_id = $2 WHERE id = $1`, late.ID, f.comp3.UserID)
	f.s.DB().MustExec(`UPDATE exception_cases SET owner_id = $2 WHERE id = $1`, c.ID, f.comp3.UserID)
	f.s.DB().MustExec(`UPDATE hold_reasons SET next_owner_id = $1 WHERE reason = $2`, f.comp3.UserID, payout.ReasonTax)
	if _, err := f.s.ReassignHold(ctx, kept.ID, f.comp2.UserID, f.comp1, "yours"); err != nil {
		t.Fatal(err)
	}

	by := store.Actor{Name: "hand-back"}
	hb, err := f.s.HandBackStranded(ctx, by)
	if err != nil {
		t.Fatal(err)
	}
	if hb != (store.HandedBack{Holds: 1, Cases: 1, Slots: 1}) {
		t.Errorf("swept %+v, want one hold, one case, one owner slot", hb)
	}
	if got := f.holds(f.payout("SW-1"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("the late hold is owned by %v, want the tax reason's owner (comp1)", got.OwnerID)
	}
	if got := f.holds(f.payout("SW-2"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp2.UserID {
		t.Errorf("an active user's hold moved: owned by %v, want comp2", got.OwnerID)
	}
	if got, err := f.s.CaseByID(ctx, c.ID); err != nil || (got.OwnerID != nil && *got.OwnerID == f.comp3.UserID) {
		t.Errorf("the case is still comp3's (%v)", err)
	}
	var audits int
	f.s.DB().QueryRowx(`SELECT count(*) FROM audit_log WHERE actor = $1`, by.Name).Scan(&audits)
	if audits != 3 {
		t.Errorf("%d audit entries by the sweep, want 3", audits)
	}
	if hb, err := f.s.HandBackStranded(ctx, by); err != nil || hb != (store.HandedBack{}) {
		t.Errorf("a second sweep moved %+v (%v), want nothing", hb, err)
	}
}

// A release decided on a page that showed no evidence (seen 0) while a note
// is being added: the note's transaction holds the payout, the release
// waits for it and then sees the note under the lock — refused, nothing
// decided. Decided on the page that showed the note, it goes through; a
// rejection is checked the same way.
func TestDecisionOnAnOlderPageIsRefusedUnderTheLock(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("SEEN-1", func(r *payout.Request) { r.AmountMinor = 30000000 })
	h := f.holds(p)[payout.ReasonReview]

	tx := f.s.DB().MustBegin()
	tx.MustExec(`SELECT 1 FROM payouts WHERE id = $1 FOR UPDATE`, p.ID)
	tx.MustExec(`INSERT INTO hold_evidence (hold_id, kind, body, added_by) VALUES ($1, 'note', 'sanctions hit: do not release', 'ops@example.com')`, h.ID)
	done := make(chan error, 1)
	go func() {
		_, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "looks fine", holdPolicy, store.Shown{Evidence: 0, Approvals: 0})
		done <- err
	}()
	// Until the release waits for the payout's lock.
	waiting := 0
	for i := 0; waiting == 0 && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
		f.s.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
			AND datname = current_database()`)
	}
	if waiting == 0 {
		t.Fatal("the release never waited for the note's transaction")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "sanctions hit") {
		t.Fatalf("release on a page older than the note: %v", err)
	}
	if f.status("SEEN-1") != payout.Held || !f.holds(p)[payout.ReasonReview].Open() {
		t.Fatal("a refused release changed the payout")
	}
	var last int64
	f.s.DB().Get(&last, `SELECT max(id) FROM hold_evidence WHERE hold_id = $1`, h.ID)
	if _, err := f.s.RejectHold(ctx, h.ID, f.comp2, "not ours", store.Shown{Evidence: last - 1, Approvals: 0}); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("rejection on an older page: %v", err)
	}
	if rel, err := f.s.ReleaseHold(ctx, h.ID, f.comp2, "read the note; cleared by screening", holdPolicy, store.Shown{Evidence: last, Approvals: 0}); err != nil || !rel.Queued {
		t.Fatalf("release on the page that showed the note: %+v %v", rel, err)
	}
}

// One who added evidence after their own page was opened is told it was
// them; one who may not release at all (four-eyes) is told that first, not
// to read the page again.
func TestAnOlderPageOfOnesOwnEvidence(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	p := f.intake("SEEN-2", func(r *payout.Request) { r.AmountMinor = 30000000 })
	h := f.holds(p)[payout.ReasonReview]
	f.s.DB().MustExec(`INSERT INTO hold_evidence (hold_id, kind, body, added_by, added_by_user_id)
		VALUES ($1, 'note', 'screened again', $2, $3)`, h.ID, f.comp1.Name, f.comp1.UserID)
	older := store.Shown{Evidence: 0, Approvals: 0}
	if _, err := f.s.RejectHold(ctx, h.ID, f.comp1, "no", older); !errors.Is(err, store.ErrRefused) ||
		!strings.HasPrefix(err.Error(), "You added evidence") {
		t.Fatalf("rejection on a page older than one's own evidence: %v", err)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp1, "fine", holdPolicy, older); !errors.Is(err, store.ErrFourEyes) {
		t.Fatalf("release by the evidence's author on an older page: %v, want four-eyes first", err)
	}
}

// Only users whose role may work holds (ops, compliance) own them: an
// owner slot or a reassign naming another role is refused; a user given a
// role that may not hands their holds and hold slots back; and the sweep
// gives back what such a user still holds (set before the rule).
func TestHoldsAreOwnedOnlyByRolesThatMayWorkThem(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	fin, err := f.s.CreateUser(ctx, store.User{Email: "fin@example.com", Name: "Farhan Finance", Role: payout.RoleFinance,
		PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.UpdateHoldReasons(ctx, admin, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, NextOwnerID: &fin, SLAMinutes: 60}})
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "Farhan Finance is finance, and only ops or compliance may") {
		t.Fatalf("a finance escalation owner: %v", err)
	}
	if err := f.s.UpdateHoldReasons(ctx, admin, []store.HoldReasonChange{
		{Reason: payout.ReasonTax, OwnerID: &f.comp1.UserID, NextOwnerID: &f.comp3.UserID, SLAMinutes: 60},
		{Reason: payout.ReasonReview, OwnerID: &f.comp3.UserID, SLAMinutes: 60}}); err != nil {
		t.Fatal(err)
	}
	h := f.holds(f.intake("RO-1", func(r *payout.Request) { r.Beneficiary.TaxArtifact = payout.TaxMissing }))[payout.ReasonTax]
	if _, err := f.s.ReassignHold(ctx, h.ID, fin, f.comp1, "yours"); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("reassigned to finance: %v", err)
	}
	if _, err := f.s.ReassignHold(ctx, h.ID, f.comp3.UserID, f.comp1, "yours"); err != nil {
		t.Fatal(err)
	}
	// comp3 becomes finance: their hold goes to the tax reason's owner,
	// their slots (tax's escalation, review's owner) are emptied.
	ch, err := f.s.SetUserRole(ctx, "comp3@example.com", payout.RoleFinance, admin)
	if err != nil || ch.HandedBack != (store.HandedBack{Holds: 1, Slots: 2}) {
		t.Fatalf("role change handed back %+v, %v; want one hold, two slots", ch.HandedBack, err)
	}
	if got := f.holds(f.payout("RO-1"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("comp3's hold is owned by %v, want comp1", got.OwnerID)
	}
	// Set before the rule: finance as an escalation owner, and owning a hold.
	f.s.DB().MustExec(`UPDATE hold_reasons SET next_owner_id = $1 WHERE reason = $2`, fin, payout.ReasonTax)
	f.s.DB().MustExec(`UPDATE holds SET owner_id = $1 WHERE id = $2`, fin, h.ID)
	hb, err := f.s.HandBackStranded(ctx, admin)
	if err != nil || hb != (store.HandedBack{Holds: 1, Slots: 1}) {
		t.Fatalf("the sweep moved %+v, %v; want a hold and a slot", hb, err)
	}
	if got := f.holds(f.payout("RO-1"))[payout.ReasonTax]; got.OwnerID == nil || *got.OwnerID != f.comp1.UserID {
		t.Errorf("finance's hold is owned by %v, want comp1", got.OwnerID)
	}
}
