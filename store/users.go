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
// and password; it returns the id.
func (s *Store) UpsertUser(ctx context.Context, u User) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `
		INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (lower(email)) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, password_hash = EXCLUDED.password_hash
		RETURNING id`,
		strings.TrimSpace(u.Email), u.Name, u.Role, u.PasswordHash)
	if err != nil {
		return 0, fmt.Errorf("store: upsert user %s: %w", u.Email, mapErr(err))
	}
	return id, nil
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
