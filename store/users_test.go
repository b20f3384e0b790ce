package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Nobody disables themselves or changes their own role, and the last admin
// who can sign in stays one; the command line (no user) is held to the
// last-admin rule too.
func TestUserChangesKeepAnAdmin(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	a := newUser(t, s, "a@example.com", payout.RoleAdmin)
	newUser(t, s, "ops@example.com", payout.RoleOps)
	byA := store.Actor{UserID: a, Name: "a@example.com"}
	cli := store.Actor{Name: "cli"}
	refused := []struct {
		name string
		do   func() (store.UserChange, error)
		says string
	}{
		{"a disables themselves", func() (store.UserChange, error) { return s.DisableUser(ctx, "a@example.com", byA) },
			"disable yourself"},
		{"a makes themselves ops", func() (store.UserChange, error) {
			return s.SetUserRole(ctx, "A@example.com", payout.RoleOps, byA)
		}, "your own role"},
		{"the cli disables the last admin", func() (store.UserChange, error) {
			return s.DisableUser(ctx, "a@example.com", cli)
		}, "last admin"},
		{"the cli makes the last admin finance", func() (store.UserChange, error) {
			return s.SetUserRole(ctx, "a@example.com", payout.RoleFinance, cli)
		}, "last admin"},
	}
	for _, r := range refused {
		if _, err := r.do(); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), r.says) {
			t.Errorf("%s: %v, want refused: %s", r.name, err, r.says)
		}
	}
	if u, _ := s.UserByID(ctx, a); u.DisabledAt != nil || u.Role != payout.RoleAdmin {
		t.Fatalf("a refused change changed the admin: %+v", u)
	}
	// With a second admin, one may go.
	if _, err := s.SetUserRole(ctx, "ops@example.com", payout.RoleAdmin, byA); err != nil {
		t.Fatal(err)
	}
	if c, err := s.SetUserRole(ctx, "a@example.com", payout.RoleOps, cli); err != nil || !c.Changed {
		t.Errorf("one of two admins made ops: %+v %v", c, err)
	}
}

// Two admins disabling each other at once: one wins, and an admin remains.
func TestAdminsDisablingEachOtherLeaveOne(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		s := pgtest.New(t)
		a := newUser(t, s, "a@example.com", payout.RoleAdmin)
		b := newUser(t, s, "b@example.com", payout.RoleAdmin)
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() { _, errA = s.DisableUser(ctx, "b@example.com", store.Actor{UserID: a, Name: "a"}) })
		wg.Go(func() { _, errB = s.DisableUser(ctx, "a@example.com", store.Actor{UserID: b, Name: "b"}) })
		wg.Wait()
		var admins int
		s.DB().Get(&admins, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL`)
		if admins != 1 || (errA == nil) == (errB == nil) {
			t.Errorf("round %d: %d admins left; errors %v, %v", round, admins, errA, errB)
		}
	}
}

// The users page's list: last sign-in from the audit log, the open link's
// expiry, whether a password is set; those who may sign in first.
func TestUsersListing(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	ops := newUser(t, s, "ops@example.com", payout.RoleOps)
	gone := newUser(t, s, "aaa-gone@example.com", payout.RoleFinance)
	at := time.Now().Round(time.Microsecond)
	invited, _ := addWithLink(t, s, "invited@example.com", at)
	for _, when := range []string{"2026-01-02T03:04:05Z", "2026-02-03T04:05:06Z"} {
		_, err := s.DB().Exec(`INSERT INTO audit_log (at, actor, action, entity_type, entity_id) VALUES ($1, 'ops@example.com',
			'user.login', 'user', $2)`, when, fmt.Sprint(ops))
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DisableUser(ctx, "aaa-gone@example.com", store.Actor{Name: "cli"}); err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("users: %+v %v", users, err)
	}
	byID := map[int64]store.UserListing{}
	for _, u := range users {
		byID[u.ID] = u
	}
	if u := byID[ops]; !u.HasPassword || u.LastSignIn == nil || u.LastSignIn.UTC().Format(time.RFC3339) !=
		"2026-02-03T04:05:06Z" || u.LinkExpiresAt != nil {
		t.Errorf("ops: %+v", u)
	}
	if u := byID[invited]; u.HasPassword || u.LastSignIn != nil || u.LinkExpiresAt == nil ||
		!u.LinkExpiresAt.Equal(at.Add(payout.PasswordLinkTTL)) {
		t.Errorf("invited: %+v", u)
	}
	if users[2].ID != gone || users[2].DisabledAt == nil {
		t.Errorf("the disabled user is not last: %+v", users)
	}
}
