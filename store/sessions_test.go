package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func newUser(t *testing.T, s *store.Store, email string, role payout.Role) int64 {
	t.Helper()
	id, err := s.CreateUser(context.Background(), store.User{Email: email, Name: email, Role: role, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A session is found by its random id, of which only the SHA-256 is kept.
func TestSessionsKeepOnlyTheIDsHash(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	uid := newUser(t, s, "ops@example.com", payout.RoleOps)
	at := time.Now().Add(-time.Hour).Round(time.Microsecond)
	sid := "a-random-session-id-of-the-browser"
	created, err := s.CreateSession(ctx, sid, uid, "192.0.2.7", at)
	if err != nil {
		t.Fatal(err)
	}
	got, u, err := s.SessionBySID(ctx, sid)
	if err != nil || got.ID != created.ID || u.ID != uid || u.Email != "ops@example.com" ||
		got.ClientAddress != "192.0.2.7" || !got.CreatedAt.Equal(at) || !got.LastSeenAt.Equal(at) || got.EndedAt != nil {
		t.Fatalf("session by id: %+v %+v %v", got, u, err)
	}
	var hash []byte
	s.DB().Get(&hash, `SELECT id_hash FROM sessions WHERE id = $1`, created.ID)
	if want := sha256.Sum256([]byte(sid)); string(hash) != string(want[:]) {
		t.Errorf("stored %x, want the id's SHA-256", hash)
	}
	var clear int
	s.DB().Get(&clear, `SELECT count(*) FROM sessions WHERE position($1::bytea IN id_hash) > 0 OR client_address = $2`,
		[]byte(sid), sid)
	if clear != 0 {
		t.Error("the session id is stored in clear")
	}
	if _, _, err := s.SessionBySID(ctx, "another"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}

	// Touching moves last use forward only; ending is once.
	if err := s.TouchSession(ctx, created.ID, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.SessionBySID(ctx, sid); !got.LastSeenAt.Equal(at) {
		t.Errorf("an earlier touch moved last use to %v", got.LastSeenAt)
	}
	for i, want := range []bool{true, false} {
		if ended, err := s.EndSession(ctx, created.ID, store.EndLogout, at.Add(time.Minute)); err != nil || ended != want {
			t.Errorf("end %d: %v %v, want %v", i+1, ended, err, want)
		}
	}
	if got, _, _ := s.SessionBySID(ctx, sid); got.EndedAt == nil || *got.EndReason != store.EndLogout {
		t.Errorf("ended session: %+v", got)
	}
}

// Demo data changing a user's role ends their sessions, like payops user
// role does.
func TestUpsertUserWithAnotherRoleEndsSessions(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	uid := newUser(t, s, "ops@example.com", payout.RoleOps)
	if _, err := s.CreateSession(ctx, "sid-1", uid, "127.0.0.1", time.Now()); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		role payout.Role
		live bool
	}{{payout.RoleOps, true}, {payout.RoleFinance, false}}
	for _, st := range steps {
		u := store.User{Email: "OPS@example.com", Name: "Ops", Role: st.role, PasswordHash: "y"}
		if _, err := s.UpsertUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.SessionBySID(ctx, "sid-1")
		if err != nil || (got.EndedAt == nil) != st.live {
			t.Errorf("upsert as %s: session %+v (%v), want live %v", st.role, got, err, st.live)
		}
	}
}

// Sessions that ended, or were last used, before the cut are pruned; the
// rest stay.
func TestPruneSessions(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	uid := newUser(t, s, "ops@example.com", payout.RoleOps)
	now := time.Now()
	cut := now.AddDate(0, 0, -14)
	sessions := []struct {
		sid     string
		started time.Time
		ended   *time.Time
		kept    bool
	}{
		{"live", now, nil, true},
		{"ended-lately", now.AddDate(0, 0, -20), ptr(now.AddDate(0, 0, -1)), true},
		{"ended-long-ago", now.AddDate(0, 0, -20), ptr(now.AddDate(0, 0, -15)), false},
		{"forgotten", now.AddDate(0, 0, -15), nil, false},
	}
	for _, ss := range sessions {
		created, err := s.CreateSession(ctx, ss.sid, uid, "127.0.0.1", ss.started)
		if err != nil {
			t.Fatal(err)
		}
		if ss.ended != nil {
			if _, err := s.EndSession(ctx, created.ID, store.EndIdle, *ss.ended); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := s.PruneSessions(ctx, cut); err != nil || n != 2 {
		t.Errorf("pruned %d (%v), want 2", n, err)
	}
	for _, ss := range sessions {
		_, _, err := s.SessionBySID(ctx, ss.sid)
		if kept := err == nil; kept != ss.kept {
			t.Errorf("%s: kept %v, want %v", ss.sid, kept, ss.kept)
		}
	}
}

func ptr[T any](v T) *T { return &v }
