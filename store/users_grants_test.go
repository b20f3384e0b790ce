package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// A deciding role an admin gives from the dashboard decides only
// payout.GrantWait later: one admin cannot add two compliance users and
// release alone. Each way of giving it counts (adding, a new role,
// enabling, a set-password link); the command line gives it at once; the
// people who decide already see the new decider (WaitingDeciders).
func TestADecidingRoleFromTheDashboardWaitsBeforeItDecides(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	admin := store.Actor{UserID: f.ops.UserID, Name: "admin@example.com"} // any signed-in user: the handlers check the role
	cli := store.Actor{Name: "cli"}
	newID, err := f.s.AddUser(ctx, store.User{Email: "new@example.com", Name: "New", Role: payout.RoleCompliance, PasswordHash: "x"}, admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	newcomer := store.Actor{UserID: newID, Name: "new@example.com"}
	p := f.intake("GW-1", func(r *payout.Request) { r.AmountMinor = 30000000 })
	h := f.holds(p)[payout.ReasonReview]
	for name, decide := range map[string]func() error{
		"release": func() error {
			_, err := f.s.ReleaseHold(ctx, h.ID, newcomer, "looks fine", holdPolicy, store.AnyShown)
			return err
		},
		"reject": func() error { _, err := f.s.RejectHold(ctx, h.ID, newcomer, "no", store.AnyShown); return err },
	} {
		if err := decide(); !errors.Is(err, store.ErrFourEyes) || !strings.Contains(err.Error(), "you decide from") {
			t.Errorf("%s by a compliance user added from the dashboard a moment ago: %v; want a four-eyes refusal saying when", name, err)
		}
	}
	if f.status("GW-1") != payout.Held {
		t.Fatal("a refused decision changed the payout")
	}
	waiting, err := f.s.WaitingDeciders(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].ID != newID || waiting[0].DecidesFrom == nil {
		t.Fatalf("waiting deciders: %+v %v; want the newcomer", waiting, err)
	}

	// The command line gives it at once; from then the newcomer decides.
	if _, err := f.s.SetUserRole(ctx, "new@example.com", payout.RoleOps, cli); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetUserRole(ctx, "new@example.com", payout.RoleCompliance, cli); err != nil {
		t.Fatal(err)
	}
	if waiting, _ := f.s.WaitingDeciders(ctx); len(waiting) != 0 {
		t.Errorf("after the command line's grant, still waiting: %+v", waiting)
	}

	// Each dashboard change that hands the role (back) starts the wait.
	for name, change := range map[string]func() error{
		"role": func() error {
			if _, err := f.s.SetUserRole(ctx, "comp3@example.com", payout.RoleOps, admin); err != nil {
				return err
			}
			_, err := f.s.SetUserRole(ctx, "comp3@example.com", payout.RoleCompliance, admin)
			return err
		},
		"enable": func() error {
			if _, err := f.s.DisableUser(ctx, "comp3@example.com", admin); err != nil {
				return err
			}
			_, err := f.s.EnableUser(ctx, "comp3@example.com", admin)
			return err
		},
		"password link": func() error {
			token := "t-" + strings.Repeat("x", 40)
			if _, err := f.s.NewPasswordLink(ctx, f.comp3.UserID, store.PasswordLinkSpec{Token: token, At: time.Now()}, admin); err != nil {
				return err
			}
			// Made, not yet used: nobody holds the account yet.
			if waiting, _ := f.s.WaitingDeciders(ctx); len(waiting) != 0 {
				t.Errorf("waiting after a link was made, before it was used: %+v", waiting)
			}
			_, err := f.s.SetPasswordWithLink(ctx, token, "y", time.Now())
			return err
		},
	} {
		if _, err := f.s.DB().ExecContext(ctx, `UPDATE users SET decides_from = NULL WHERE id = $1`, f.comp3.UserID); err != nil {
			t.Fatal(err)
		}
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp3, "fine", holdPolicy, store.AnyShown); !errors.Is(err, store.ErrFourEyes) {
			t.Errorf("release after the dashboard's %s: %v; want the wait", name, err)
		}
	}
	// Once the wait is over, they decide as anyone.
	if _, err := f.s.DB().ExecContext(ctx, `UPDATE users SET decides_from = now() - interval '1 minute' WHERE id = $1`, f.comp3.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ReleaseHold(ctx, h.ID, f.comp3, "contract checked", holdPolicy, store.AnyShown); err != nil {
		t.Fatalf("release after the wait: %v", err)
	}
}
