package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// addWithLink adds a user with a set-password link made at at and returns
// their id and the link's token.
func addWithLink(t *testing.T, s *store.Store, email string, at time.Time) (int64, string) {
	t.Helper()
	token, err := store.NewLinkToken()
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.AddUser(context.Background(), store.User{Email: email, Name: "New", Role: payout.RoleOps,
		PasswordHash: "ignored"}, store.Actor{Name: "admin@example.com"}, &store.PasswordLinkSpec{Token: token, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return id, token
}

// A user added with a link has no password; the link is stored as its
// SHA-256 only, sets the password once, and ends the user's sessions.
func TestPasswordLinkIsSingleUseAndStoredAsItsHash(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	at := time.Now().Round(time.Microsecond)
	uid, token := addWithLink(t, s, "new@example.com", at)

	u, err := s.UserByID(ctx, uid)
	if err != nil || u.PasswordHash != "" {
		t.Fatalf("before the link is used: hash %q (%v), want none", u.PasswordHash, err)
	}
	var hashes [][]byte
	s.DB().Select(&hashes, `SELECT token_hash FROM password_links`)
	if want := sha256.Sum256([]byte(token)); len(hashes) != 1 || string(hashes[0]) != string(want[:]) {
		t.Fatalf("stored %x, want only the token's SHA-256", hashes)
	}
	var clear int
	s.DB().Get(&clear, `SELECT count(*) FROM password_links l, audit_log a
		WHERE position($1::bytea IN l.token_hash) > 0 OR l.created_by LIKE '%' || $2 || '%'
		OR a.details::text LIKE '%' || $2 || '%'`, []byte(token), token)
	if clear != 0 {
		t.Fatal("the link's token is stored in clear")
	}
	l, lu, err := s.PasswordLinkByToken(ctx, token)
	if err != nil || lu.ID != uid || !l.CreatedAt.Equal(at) || !l.ExpiresAt.Equal(at.Add(payout.PasswordLinkTTL)) ||
		l.CreatedBy != "admin@example.com" {
		t.Fatalf("link by token: %+v %+v %v", l, lu, err)
	}
	if _, _, err := s.PasswordLinkByToken(ctx, "not-a-token"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown token: %v, want ErrNotFound", err)
	}

	if _, err := s.CreateSession(ctx, "sid-1", uid, "127.0.0.1", at); err != nil {
		t.Fatal(err)
	}
	got, err := s.SetPasswordWithLink(ctx, token, "hash-1", at.Add(time.Hour))
	if err != nil || got.ID != uid || got.PasswordHash != "hash-1" {
		t.Fatalf("set password: %+v %v", got, err)
	}
	if sess, _, _ := s.SessionBySID(ctx, "sid-1"); sess.EndReason == nil || *sess.EndReason != store.EndPasswordSet {
		t.Errorf("session after the password was set: %+v", sess)
	}
	_, err = s.SetPasswordWithLink(ctx, token, "hash-2", at.Add(2*time.Hour))
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "used already") {
		t.Errorf("second use: %v, want refused as used", err)
	}
	if u, _ := s.UserByID(ctx, uid); u.PasswordHash != "hash-1" {
		t.Errorf("the second use changed the password to %q", u.PasswordHash)
	}
	var audited int
	s.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'user.password_set' AND actor = 'new@example.com'
		AND entity_id = $1`, uid)
	if audited != 1 {
		t.Errorf("%d user.password_set entries, want 1", audited)
	}
}

// A link works until it expires, not at or after; a newer link replaces
// the older; a disabled user's link sets nothing; a bad token is not found.
func TestPasswordLinkExpiresAndIsReplaced(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	at := time.Now().Round(time.Microsecond)
	expires := at.Add(payout.PasswordLinkTTL)
	admin := store.Actor{Name: "admin@example.com"}

	_, late := addWithLink(t, s, "late@example.com", at)
	if _, err := s.SetPasswordWithLink(ctx, late, "h", expires); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "expired") {
		t.Errorf("at its expiry: %v, want refused as expired", err)
	}
	if _, err := s.SetPasswordWithLink(ctx, late, "h", expires.Add(-time.Microsecond)); err != nil {
		t.Errorf("just before its expiry: %v", err)
	}

	uid, first := addWithLink(t, s, "twice@example.com", at)
	second, _ := store.NewLinkToken()
	if _, err := s.NewPasswordLink(ctx, uid, store.PasswordLinkSpec{Token: second, At: at.Add(time.Minute)}, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPasswordWithLink(ctx, first, "h", at.Add(2*time.Minute)); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "newer link") {
		t.Errorf("the replaced link: %v, want refused", err)
	}
	if _, err := s.SetPasswordWithLink(ctx, second, "h", at.Add(2*time.Minute)); err != nil {
		t.Errorf("the newer link: %v", err)
	}

	uid, token := addWithLink(t, s, "gone@example.com", at)
	if _, err := s.DisableUser(ctx, "gone@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPasswordWithLink(ctx, token, "h", at.Add(time.Minute)); !errors.Is(err, store.ErrRefused) {
		t.Errorf("a disabled user's link: %v, want refused", err)
	}
	// Enabled again, their old link stays dead: it may be why they were
	// disabled.
	if _, err := s.EnableUser(ctx, "gone@example.com", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPasswordWithLink(ctx, token, "h", at.Add(time.Minute)); !errors.Is(err, store.ErrRefused) {
		t.Errorf("the link of a user disabled and enabled again: %v, want refused", err)
	}
	if _, err := s.DisableUser(ctx, "gone@example.com", admin); err != nil {
		t.Fatal(err)
	}
	third, _ := store.NewLinkToken()
	if _, err := s.NewPasswordLink(ctx, uid, store.PasswordLinkSpec{Token: third, At: at}, admin); !errors.Is(err,
		store.ErrRefused) {
		t.Errorf("a new link for a disabled user: %v, want refused", err)
	}
	if _, err := s.NewPasswordLink(ctx, 999999, store.PasswordLinkSpec{Token: third, At: at}, admin); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("a link for nobody: %v, want ErrNotFound", err)
	}
	if _, err := s.SetPasswordWithLink(ctx, "no-such-token", "h", at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown token: %v, want ErrNotFound", err)
	}
}

// Two uses of one link at once: exactly one sets the password.
func TestPasswordLinkUsedOnceUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	at := time.Now()
	uid, token := addWithLink(t, s, "race@example.com", at)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = s.SetPasswordWithLink(ctx, token, "hash-"+string(rune('a'+i)), at) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("uses %d and %d both set the password", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrRefused):
			t.Errorf("use %d: %v", i, err)
		}
	}
	u, _ := s.UserByID(ctx, uid)
	if won < 0 || u.PasswordHash != "hash-"+string(rune('a'+won)) {
		t.Errorf("winner %d, password %q", won, u.PasswordHash)
	}
}
