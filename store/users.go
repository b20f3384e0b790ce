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
	TimeZone     string      `db:"time_zone"` // "" for the business time zone
	// DecidesFrom is when the user may first take a four-eyes decision
	// (payout.GrantWait); nil: at once.
	DecidesFrom *time.Time `db:"decides_from"`
}

const userColumns = `id, email, name, role, password_hash, disabled_at, created_at, time_zone, decides_from`

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
	// HandedBack is, for a disable, the open work and owner slots the user
	// held that went back to their defaults (handBackWork); for a new role
	// that may not work holds, their holds and hold owner slots.
	HandedBack HandedBack
}

// DisableUser disables the user with email, so they can no longer sign in,
// and ends their sessions, in one transaction audited as by; ErrNotFound
// when there is no such user, ErrRefused when payout.RefuseUserChange
// refuses (by themselves, or the last admin).
func (s *Store) DisableUser(ctx context.Context, email string, by Actor) (UserChange, error) {
	return s.changeUser(ctx, email, by, payout.UserChange{Disable: true},
		func(ctx context.Context, q Querier, u User) (UserChange, error) {
			c := UserChange{User: u}
			if u.DisabledAt == nil {
				err := q.GetContext(ctx, &c.User.DisabledAt,
					`UPDATE users SET disabled_at = now() WHERE id = $1 RETURNING disabled_at`, u.ID)
				if err != nil {
					return c, err
				}
				c.Changed = true
			}
			// Also when already disabled: no session of a disabled user
			// lives, and no set-password link of theirs works again if they
			// are enabled (one may have leaked: the reason to disable).
			if _, err := q.ExecContext(ctx, `UPDATE password_links SET replaced_at = now()
				WHERE user_id = $1 AND used_at IS NULL AND replaced_at IS NULL`, u.ID); err != nil {
				return c, err
			}
			n, err := endUserSessions(ctx, q, u.ID, EndUserDisabled)
			c.SessionsEnded = n
			if err != nil {
				return c, err
			}
			// Also when already disabled: one disabled before the hand-back
			// existed gives back what they still hold.
			if c.HandedBack, err = handBackWork(ctx, q, u, by); err != nil || !c.Changed {
				return c, err
			}
			return c, audit(ctx, q, by.Name, "user.disable", "user", fmt.Sprint(u.ID),
				map[string]any{"email": u.Email, "sessions_ended": n, "holds_handed_back": c.HandedBack.Holds,
					"cases_handed_back": c.HandedBack.Cases, "owner_slots_emptied": c.HandedBack.Slots})
		})
}

// EnableUser lets a disabled user with email sign in again, audited as by;
// ErrNotFound when there is no such user.
func (s *Store) EnableUser(ctx context.Context, email string, by Actor) (UserChange, error) {
	return s.changeUser(ctx, email, by, payout.UserChange{},
		func(ctx context.Context, q Querier, u User) (UserChange, error) {
			c := UserChange{User: u}
			if u.DisabledAt == nil {
				return c, nil
			}
			if _, err := q.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = $1`, u.ID); err != nil {
				return c, err
			}
			c.User.DisabledAt, c.Changed = nil, true
			from, err := grant(ctx, q, u.ID, u.Role, by)
			if err != nil {
				return c, err
			}
			c.User.DecidesFrom = from
			return c, audit(ctx, q, by.Name, "user.enable", "user", fmt.Sprint(u.ID), withDecidesFrom(map[string]any{"email": u.Email}, from))
		})
}

// SetUserRole gives the user with email role and ends their sessions, so the
// new role starts with a new sign-in, in one transaction audited as by;
// ErrNotFound when there is no such user, ErrRefused when
// payout.RefuseUserChange refuses (their own role, or the last admin's).
func (s *Store) SetUserRole(ctx context.Context, email string, role payout.Role, by Actor) (UserChange, error) {
	return s.changeUser(ctx, email, by, payout.UserChange{NewRole: role},
		func(ctx context.Context, q Querier, u User) (UserChange, error) {
			c := UserChange{User: u}
			if u.Role == role {
				return c, nil
			}
			if _, err := q.ExecContext(ctx, `UPDATE users SET role = $2 WHERE id = $1`, u.ID, role); err != nil {
				return c, err
			}
			c.User.Role, c.Changed = role, true
			from, err := grant(ctx, q, u.ID, role, by)
			if err != nil {
				return c, err
			}
			c.User.DecidesFrom = from
			n, err := endUserSessions(ctx, q, u.ID, EndRoleChanged)
			c.SessionsEnded = n
			if err != nil {
				return c, err
			}
			if !ownersOfHolds.mayOwn(role) {
				if c.HandedBack, err = handBackHolds(ctx, q, c.User, by); err != nil {
					return c, err
				}
			}
			return c, audit(ctx, q, by.Name, "user.role", "user", fmt.Sprint(u.ID),
				withDecidesFrom(map[string]any{"email": u.Email, "from": u.Role, "to": role, "sessions_ended": n,
					"holds_handed_back": c.HandedBack.Holds, "owner_slots_emptied": c.HandedBack.Slots}, from))
		})
}

// changeUser runs change on the user with email, locked, in one transaction,
// once payout.RefuseUserChange allows rule (its change) made by by. The
// active admins are locked too, so two admins disabling each other at once
// cannot leave none.
func (s *Store) changeUser(ctx context.Context, email string, by Actor, rule payout.UserChange,
	change func(context.Context, Querier, User) (UserChange, error)) (UserChange, error) {
	var c UserChange
	err := s.WithTx(ctx, func(q Querier) error {
		var admins []int64
		// FOR NO KEY UPDATE, not FOR UPDATE: a hold or case given to
		// one of them at this moment takes its foreign key's share lock on
		// the user after locking the payout and the hold, which FOR UPDATE
		// would block while a disable waits for that payout (handBackWork):
		// a deadlock.
		err := q.SelectContext(ctx, &admins,
			`SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR NO KEY UPDATE`)
		if err != nil {
			return fmt.Errorf("store: admins: %w", err)
		}
		var u User
		err = q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) FOR NO KEY UPDATE`,
			strings.TrimSpace(email))
		if err != nil {
			return fmt.Errorf("store: user %s: %w", email, mapErr(err))
		}
		rule.BySelf, rule.Role, rule.Active, rule.ActiveAdmins = by.UserID == u.ID, u.Role, u.DisabledAt == nil, len(admins)
		if why := payout.RefuseUserChange(rule); why != "" {
			return Refused("%s", why)
		}
		if c, err = change(ctx, q, u); err != nil {
			return fmt.Errorf("store: change user %s: %w", email, err)
		}
		return nil
	})
	return c, err
}

// UserListing is a user as the users page lists them.
type UserListing struct {
	ID          int64       `db:"id"`
	Email       string      `db:"email"`
	Name        string      `db:"name"`
	Role        payout.Role `db:"role"`
	DisabledAt  *time.Time  `db:"disabled_at"`
	CreatedAt   time.Time   `db:"created_at"`
	HasPassword bool        `db:"has_password"`
	// LastSignIn is their latest sign-in by the audit log, which keeps it
	// longer than sessions are kept; nil for never.
	LastSignIn *time.Time `db:"last_sign_in"`
	// LinkExpiresAt is when their latest set-password link not yet used or
	// replaced expires (maybe in the past); nil when there is none.
	LinkExpiresAt *time.Time `db:"link_expires_at"`
	DecidesFrom   *time.Time `db:"decides_from"` // User.DecidesFrom
}

// Users lists every user, those who may sign in first, by name.
func (s *Store) Users(ctx context.Context) ([]UserListing, error) {
	var out []UserListing
	err := s.db.SelectContext(ctx, &out, `
		SELECT u.id, u.email, u.name, u.role, u.disabled_at, u.created_at, u.password_hash <> '' AS has_password, u.decides_from,
			(SELECT a.at FROM audit_log a WHERE a.entity_type = 'user' AND a.entity_id = u.id::text
				AND a.action = 'user.login' ORDER BY a.id DESC LIMIT 1) AS last_sign_in,
			(SELECT l.expires_at FROM password_links l WHERE l.user_id = u.id AND l.used_at IS NULL
				AND l.replaced_at IS NULL ORDER BY l.id DESC LIMIT 1) AS link_expires_at
		FROM users u ORDER BY u.disabled_at IS NOT NULL, lower(u.name), u.id`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// SetTimeZone records the time zone user id reads times in ("" for the
// business time zone), audited as the user.
func (s *Store) SetTimeZone(ctx context.Context, id int64, zone string) error {
	return s.WithTx(ctx, func(q Querier) error {
		var email string
		err := q.GetContext(ctx, &email, `UPDATE users SET time_zone = $2 WHERE id = $1 RETURNING email`, id, zone)
		if err != nil {
			return fmt.Errorf("store: time zone of user %d: %w", id, mapErr(err))
		}
		return audit(ctx, q, email, "user.time_zone", "user", fmt.Sprint(id), map[string]any{"time_zone": zone})
	})
}
