package store_test

import (
	"context"
	"errors"
	"testing"

	"payops/payout"
	"payops/store"
)

// A failed payout's case goes to its failure class's owner (seed 004:
// classify the failure, route it to the right owner), other classes to the
// kind's owner; a class owner set later takes that class's stand-in cases;
// a disabled class owner's cases and slot go back to the kind's owner.
func TestAFailedPayoutsCaseGoesToItsClassOwner(t *testing.T) {
	f := newHoldFixture(t)
	ctx := context.Background()
	admin := store.Actor{Name: "admin@example.com"}
	finance, err := f.s.CreateUser(ctx, store.User{Email: "fin@example.com", Name: "Fin", Role: payout.RoleFinance, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	kind := []store.CaseKindChange{{Kind: payout.CaseFailed, OwnerID: &f.ops.UserID, SLAMinutes: 60}}
	// Before any class owner: a funding failure is the kind's owner's.
	f.intake("CL-0", nil)
	sentAndFailed(t, f.s, "CL-0", "NO_FUNDS")
	if err := f.s.UpdateCaseKinds(ctx, admin, nil, map[payout.FailureClass]*int64{payout.FailFunding: &f.comp3.UserID}); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s) // opened now, with the funding owner set
	if err := f.s.UpdateCaseKinds(ctx, admin, kind, map[payout.FailureClass]*int64{payout.FailFunding: &finance}); err != nil {
		t.Fatal(err)
	}
	owners, err := f.s.ClassOwners(ctx)
	if err != nil || len(owners) != 1 || owners[payout.FailFunding].OwnerID != finance || owners[payout.FailFunding].OwnerName != "Fin" {
		t.Fatalf("class owners: %+v %v; want funding to Fin", owners, err)
	}
	f.intake("CL-1", nil)
	sentAndFailed(t, f.s, "CL-1", "NO_FUNDS")
	f.intake("CL-2", nil)
	sentAndFailed(t, f.s, "CL-2", "BAD_IFSC")
	scan(t, f.s)
	ownerOf := func(ref string) int64 {
		t.Helper()
		cases, _, err := f.s.OpenCases(ctx, store.CaseFilter{Kind: payout.CaseFailed})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if p := f.payout(ref); c.PayoutID != nil && *c.PayoutID == p.ID && c.OwnerID != nil {
				return *c.OwnerID
			}
		}
		t.Fatalf("no owned case for %s", ref)
		return 0
	}
	if got := ownerOf("CL-0"); got != f.comp3.UserID {
		t.Errorf("CL-0 (funding, opened when comp3 owned funding): owner %d, want comp3 %d (cases keep their owner)", got, f.comp3.UserID)
	}
	if got := ownerOf("CL-1"); got != finance {
		t.Errorf("a funding failure's case: owner %d, want the funding owner %d", got, finance)
	}
	if got := ownerOf("CL-2"); got != f.ops.UserID {
		t.Errorf("a request failure's case: owner %d, want the kind's owner %d", got, f.ops.UserID)
	}
	// A case opened without a code (a webhook that gave only words) is
	// unknown, the kind's owner's; once a re-check brings a funding code,
	// it is classified and goes to the funding owner.
	f.intake("CL-3", nil)
	sentAndFailed(t, f.s, "CL-3", "")
	scan(t, f.s)
	if got := ownerOf("CL-3"); got != f.ops.UserID {
		t.Fatalf("an unclassified failure's case: owner %d, want the kind's owner %d", got, f.ops.UserID)
	}
	if _, err := f.s.DB().ExecContext(ctx, `UPDATE payouts SET failure_code = 'NO_FUNDS' WHERE reference_id = 'CL-3'`); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s)
	if got := ownerOf("CL-3"); got != finance {
		t.Errorf("once classified as funding: owner %d, want the funding owner %d", got, finance)
	}
	// A class owner that reached the table without a save (as one racing a
	// case's opening) gets its class's stand-in cases at the next scan.
	f.intake("CL-4", nil)
	sentAndFailed(t, f.s, "CL-4", "BAD_IFSC")
	if _, err := f.s.DB().ExecContext(ctx, `UPDATE exception_kinds SET owner_id = NULL WHERE kind = 'failed_after_send'`); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s) // no kind owner, no request owner: a stand-in, or nobody (the fixture has no admin)
	if _, err := f.s.DB().ExecContext(ctx, `INSERT INTO failure_class_owners (class, owner_id, updated_by) VALUES ('request', $1, 'test')`,
		f.comp1.UserID); err != nil {
		t.Fatal(err)
	}
	scan(t, f.s)
	if got := ownerOf("CL-4"); got != f.comp1.UserID {
		t.Errorf("a stand-in's request case after the request owner appeared: owner %d, want %d", got, f.comp1.UserID)
	}
	if err := f.s.UpdateCaseKinds(ctx, admin, kind, map[payout.FailureClass]*int64{payout.FailRequest: nil}); err != nil {
		t.Fatal(err)
	}
	// A disabled user cannot own a class.
	if _, err := f.s.DisableUser(ctx, "comp2@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UpdateCaseKinds(ctx, admin, nil, map[payout.FailureClass]*int64{payout.FailAuth: &f.comp2.UserID}); !errors.Is(err, store.ErrRefused) {
		t.Errorf("a disabled user as a class's owner: %v, want refused", err)
	}
	// Disabling the funding owner hands their case to the kind's owner and
	// empties the class's slot.
	if _, err := f.s.DisableUser(ctx, "fin@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if got := ownerOf("CL-1"); got != f.ops.UserID {
		t.Errorf("after the funding owner was disabled: owner %d, want the kind's owner %d", got, f.ops.UserID)
	}
	if owners, _ := f.s.ClassOwners(ctx); len(owners) != 0 {
		t.Errorf("class owners after the owner was disabled: %+v, want none", owners)
	}
	// Back to the kind's owner: nil.
	if err := f.s.UpdateCaseKinds(ctx, admin, nil, map[payout.FailureClass]*int64{payout.FailFunding: &f.comp3.UserID}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UpdateCaseKinds(ctx, admin, nil, map[payout.FailureClass]*int64{payout.FailFunding: nil}); err != nil {
		t.Fatal(err)
	}
	if owners, _ := f.s.ClassOwners(ctx); len(owners) != 0 {
		t.Errorf("class owners after clearing: %+v, want none", owners)
	}
}
