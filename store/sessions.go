package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// Session is a signed-in browser's session. The browser holds a random id;
// the table holds only its SHA-256.
type Session struct {
	ID            int64      `db:"id"`
	UserID        int64      `db:"user_id"`
	CreatedAt     time.Time  `db:"created_at"`
	LastSeenAt    time.Time  `db:"last_seen_at"`
	EndedAt       *time.Time `db:"ended_at"`
	EndReason     *string    `db:"end_reason"`
	ClientAddress string     `db:"client_address"`
}

// Why a session ended, as end_reason says.
const (
	EndLogout        = "logout"
	EndIdle          = "idle"
	EndExpired       = "expired" // its absolute lifetime
	EndUserDisabled  = "user_disabled"
	EndRoleChanged   = "role_changed"
	EndSignedInAgain = "signed_in_again" // the same browser signed in anew
)

const sessionColumns = `id, user_id, created_at, last_seen_at, ended_at, end_reason, client_address`

func sessionHash(sid string) []byte {
	h := sha256.Sum256([]byte(sid))
	return h[:]
}

// CreateSession starts a session of user userID from address addr at at,
// for the random id sid, of which only the hash is stored.
func (s *Store) CreateSession(ctx context.Context, sid string, userID int64, addr string,
	at time.Time) (Session, error) {
	var sess Session
	err := s.db.GetContext(ctx, &sess, `
		INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, client_address) VALUES ($1, $2, $3, $3, $4)
		RETURNING `+sessionColumns, sessionHash(sid), userID, at, addr)
	if err != nil {
		return Session{}, fmt.Errorf("store: create session of user %d: %w", userID, mapErr(err))
	}
	return sess, nil
}

// SessionBySID returns the session whose random id is sid, ended or not, and
// its user; ErrNotFound when there is none.
func (s *Store) SessionBySID(ctx context.Context, sid string) (Session, User, error) {
	var row struct {
		Session
		User `db:"u"`
	}
	err := getFast(ctx, s.q(), &row, `
		SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.ended_at, s.end_reason, s.client_address,
			u.id AS "u.id", u.email AS "u.email", u.name AS "u.name", u.role AS "u.role",
			u.password_hash AS "u.password_hash", u.disabled_at AS "u.disabled_at", u.created_at AS "u.created_at",
			u.time_zone AS "u.time_zone", u.decides_from AS "u.decides_from"
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1`, sessionHash(sid))
	if err != nil {
		return Session{}, User{}, fmt.Errorf("store: session: %w", mapErr(err))
	}
	return row.Session, row.User, nil
}

// EndSession ends session id at at for reason, unless it has ended already;
// it reports whether this call ended it.
func (s *Store) EndSession(ctx context.Context, id int64, reason string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET ended_at = $2, end_reason = $3
		WHERE id = $1 AND ended_at IS NULL`, id, at, reason)
	if err != nil {
		return false, fmt.Errorf("store: end session %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TouchSession records that session id was used at at. The caller decides
// how often (not on every request); a later time already recorded stays.
func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2
		WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2`, id, at)
	if err != nil {
		return fmt.Errorf("store: touch session %d: %w", id, err)
	}
	return nil
}

// endUserSessions ends every live session of user userID for reason, inside
// q (the transaction that changes the user), and returns how many.
func endUserSessions(ctx context.Context, q Querier, userID int64, reason string) (int, error) {
	res, err := q.ExecContext(ctx, `UPDATE sessions SET ended_at = now(), end_reason = $2
		WHERE user_id = $1 AND ended_at IS NULL`, userID, reason)
	if err != nil {
		return 0, fmt.Errorf("store: end sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PruneSessions deletes the sessions that ended, or were last used, before
// before (a live session is long past its limits by then) and returns how
// many.
func (s *Store) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE coalesce(ended_at, last_seen_at) < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
