package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"payops/payout"
)

// User is a person who signs in to the dashboard.
type User struct {
	ID           int64       `db:"id"`
	Email        string      `db:"email"`
	Name         string      `db:"name"`
	Role         payout.Role `db:"role"`
	PasswordHash string      `db:"password_hash"`
	DisabledAt   *time.Time  `db:"disabled_at"`
	CreatedAt    time.Time   `db:"created_at"`
}

const userColumns = `id, email, name, role, password_hash, disabled_at, created_at`

// CreateUser adds a user and returns its id; ErrConflict when the email is
// taken.
func (s *Store) CreateUser(ctx context.Context, u User) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id,
		`INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
		strings.TrimSpace(u.Email), u.Name, u.Role, u.PasswordHash)
	if err != nil {
		return 0, fmt.Errorf("store: create user %s: %w", u.Email, mapErr(err))
	}
	return id, nil
}

// UpsertUser creates the user or, when the email exists, sets its name, role
// and password; it returns the id. A changed role ends the user's sessions,
// in the same transaction.
func (s *Store) UpsertUser(ctx context.Context, u User) (int64, error) {
	var id int64
	err := s.WithTx(ctx, func(q Querier) error {
		var before []payout.Role
		err := q.SelectContext(ctx, &before, `SELECT role FROM users WHERE lower(email) = lower($1) FOR UPDATE`,
			strings.TrimSpace(u.Email))
		if err != nil {
			return fmt.Errorf("store: upsert user %s: %w", u.Email, err)
		}
		err = q.GetContext(ctx, &id, `
			INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
			ON CONFLICT (lower(email)) DO UPDATE
				SET name = EXCLUDED.name, role = EXCLUDED.role, password_hash = EXCLUDED.password_hash
			RETURNING id`,
			strings.TrimSpace(u.Email), u.Name, u.Role, u.PasswordHash)
		if err != nil {
			return fmt.Errorf("store: upsert user %s: %w", u.Email, mapErr(err))
		}
		if len(before) == 1 && before[0] != u.Role {
			_, err = endUserSessions(ctx, q, id, EndRoleChanged)
		}
		return err
	})
	return id, err
}

// UserByEmail returns the user with that email, case-insensitively, or
// ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email))
	if err != nil {
		return User{}, fmt.Errorf("store: user %s: %w", email, mapErr(err))
	}
	return u, nil
}

// UserByID returns the user with that id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	if err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id); err != nil {
		return User{}, fmt.Errorf("store: user %d: %w", id, mapErr(err))
	}
	return u, nil
}

// ActiveUsers returns the users who can sign in, by name: the people holds
// can be given to.
func (s *Store) ActiveUsers(ctx context.Context) ([]User, error) {
	var out []User
	err := s.db.SelectContext(ctx, &out, `SELECT `+userColumns+` FROM users WHERE disabled_at IS NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// UserChange is what a change to a user did.
type UserChange struct {
	User          User // as it is after the change
	Changed       bool // false when the user was so already
	SessionsEnded int
}

// DisableUser disables the user with email, so they can no longer sign in,
// and ends their sessions, in one transaction audited as actor;
// ErrNotFound when there is no such user.
func (s *Store) DisableUser(ctx context.Context, email, actor string) (UserChange, error) {
	return s.changeUser(ctx, email, func(ctx context.Context, q Querier, u User) (UserChange, error) {
		c := UserChange{User: u}
		if u.DisabledAt == nil {
			err := q.GetContext(ctx, &c.User.DisabledAt,
				`UPDATE users SET disabled_at = now() WHERE id = $1 RETURNING disabled_at`, u.ID)
			if err != nil {
				return c, err
			}
			c.Changed = true
		}
		// Also when already disabled: no session of a disabled user lives.
		n, err := endUserSessions(ctx, q, u.ID, EndUserDisabled)
		c.SessionsEnded = n
		if err != nil || !c.Changed {
			return c, err
		}
		return c, audit(ctx, q, actor, "user.disable", "user", fmt.Sprint(u.ID),
			map[string]any{"email": u.Email, "sessions_ended": n})
	})
}

// EnableUser lets a disabled user with email sign in again, audited as
// actor; ErrNotFound when there is no such user.
func (s *Store) EnableUser(ctx context.Context, email, actor string) (UserChange, error) {
	return s.changeUser(ctx, email, func(ctx context.Context, q Querier, u User) (UserChange, error) {
		c := UserChange{User: u}
		if u.DisabledAt == nil {
			return c, nil
		}
		if _, err := q.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = $1`, u.ID); err != nil {
			return c, err
		}
		c.User.DisabledAt, c.Changed = nil, true
		return c, audit(ctx, q, actor, "user.enable", "user", fmt.Sprint(u.ID), map[string]any{"email": u.Email})
	})
}

// SetUserRole gives the user with email role and ends their sessions, so the
// new role starts with a new sign-in, in one transaction audited as actor;
// ErrNotFound when there is no such user.
func (s *Store) SetUserRole(ctx context.Context, email string, role payout.Role, actor string) (UserChange, error) {
	return s.changeUser(ctx, email, func(ctx context.Context, q Querier, u User) (UserChange, error) {
		c := UserChange{User: u}
		if u.Role == role {
			return c, nil
		}
		if _, err := q.ExecContext(ctx, `UPDATE users SET role = $2 WHERE id = $1`, u.ID, role); err != nil {
			return c, err
		}
		c.User.Role, c.Changed = role, true
		n, err := endUserSessions(ctx, q, u.ID, EndRoleChanged)
		c.SessionsEnded = n
		if err != nil {
			return c, err
		}
		return c, audit(ctx, q, actor, "user.role", "user", fmt.Sprint(u.ID),
			map[string]any{"email": u.Email, "from": u.Role, "to": role, "sessions_ended": n})
	})
}

// changeUser runs change on the user with email, locked, in one transaction.
func (s *Store) changeUser(ctx context.Context, email string,
	change func(context.Context, Querier, User) (UserChange, error)) (UserChange, error) {
	var c UserChange
	err := s.WithTx(ctx, func(q Querier) error {
		var u User
		err := q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) FOR UPDATE`,
			strings.TrimSpace(email))
		if err != nil {
			return fmt.Errorf("store: user %s: %w", email, mapErr(err))
		}
		if c, err = change(ctx, q, u); err != nil {
			return fmt.Errorf("store: change user %s: %w", email, err)
		}
		return nil
	})
	return c, err
}
