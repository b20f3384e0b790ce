package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"payops/payout"
)

// PasswordLink is a set-password link, without its token: only the token's
// SHA-256 is stored.
type PasswordLink struct {
	ID         int64      `db:"id"`
	UserID     int64      `db:"user_id"`
	CreatedBy  string     `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	UsedAt     *time.Time `db:"used_at"`
	ReplacedAt *time.Time `db:"replaced_at"`
	// ByUserID is the dashboard user who made it; nil for the command line.
	ByUserID *int64 `db:"by_user_id"`
}

// PasswordLinkSpec is a link to make: its random token (NewLinkToken) and
// when it is made; it works for payout.PasswordLinkTTL from then.
type PasswordLinkSpec struct {
	Token string
	At    time.Time
}

// EndPasswordSet is why a session ends when its user sets a new password.
const EndPasswordSet = "password_set"

const linkColumns = `l.id, l.user_id, l.created_by, l.created_at, l.expires_at, l.used_at, l.replaced_at, l.by_user_id`

// NewLinkToken returns a new set-password link's token: 256 random bits,
// URL-safe.
func NewLinkToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func linkHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// AddUser adds a user and audits it as by, in one transaction, and returns
// the user's id; ErrConflict when the email is taken. With link the user has
// no password (u.PasswordHash is ignored) until they set one through the
// link; without it u.PasswordHash is their password's hash.
func (s *Store) AddUser(ctx context.Context, u User, by Actor, link *PasswordLinkSpec) (int64, error) {
	var id int64
	err := s.WithTx(ctx, func(q Querier) error {
		password := "set by " + by.Name
		if link != nil {
			u.PasswordHash, password = "", "set-password link"
		}
		err := q.GetContext(ctx, &id,
			`INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
			strings.TrimSpace(u.Email), u.Name, u.Role, u.PasswordHash)
		if err != nil {
			return fmt.Errorf("store: add user %s: %w", u.Email, mapErr(err))
		}
		from, err := grant(ctx, q, id, u.Role, by)
		if err != nil {
			return err
		}
		err = audit(ctx, q, by.Name, "user.create", "user", fmt.Sprint(id), withDecidesFrom(
			map[string]any{"email": strings.TrimSpace(u.Email), "name": u.Name, "role": u.Role, "password": password}, from))
		if err != nil || link == nil {
			return err
		}
		return insertLink(ctx, q, id, *link, by)
	})
	return id, err
}

// NewPasswordLink makes a set-password link for user userID, replacing any
// earlier one that was not used, audited as by; ErrNotFound when there is no
// such user, ErrRefused when they are disabled (enable them first). Their
// password stays as it is until the link is used.
func (s *Store) NewPasswordLink(ctx context.Context, userID int64, link PasswordLinkSpec, by Actor) (User, error) {
	var u User
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, userID)
		if err != nil {
			return fmt.Errorf("store: user %d: %w", userID, mapErr(err))
		}
		if u.DisabledAt != nil {
			return Refused("%s is disabled: enable them first, then make the link", u.Email)
		}
		if err := insertLink(ctx, q, u.ID, link, by); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "user.password_link", "user", fmt.Sprint(u.ID),
			map[string]any{"email": u.Email, "expires_at": link.At.Add(payout.PasswordLinkTTL).UTC()})
	})
	return u, err
}

// insertLink stores link's hash for user userID inside q, replacing the
// user's links not used yet.
func insertLink(ctx context.Context, q Querier, userID int64, link PasswordLinkSpec, by Actor) error {
	_, err := q.ExecContext(ctx, `UPDATE password_links SET replaced_at = $2
		WHERE user_id = $1 AND used_at IS NULL AND replaced_at IS NULL`, userID, link.At)
	if err != nil {
		return fmt.Errorf("store: replace links of user %d: %w", userID, err)
	}
	var byUser *int64
	if by.UserID != 0 {
		byUser = &by.UserID
	}
	_, err = q.ExecContext(ctx, `INSERT INTO password_links (user_id, token_hash, created_by, created_at, expires_at, by_user_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, userID, linkHash(link.Token), by.Name, link.At, link.At.Add(payout.PasswordLinkTTL), byUser)
	if err != nil {
		return fmt.Errorf("store: link for user %d: %w", userID, mapErr(err))
	}
	return nil
}

// PasswordLinkByToken returns the link whose token is token and its user,
// used or not; ErrNotFound when there is none.
func (s *Store) PasswordLinkByToken(ctx context.Context, token string) (PasswordLink, User, error) {
	var row struct {
		PasswordLink
		User `db:"u"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+linkColumns+`, `+userAs+`
		FROM password_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1`, linkHash(token))
	if err != nil {
		return PasswordLink{}, User{}, fmt.Errorf("store: password link: %w", mapErr(err))
	}
	return row.PasswordLink, row.User, nil
}

// userAs selects users u's columns as the "u." fields of a row.
const userAs = `u.id AS "u.id", u.email AS "u.email", u.name AS "u.name", u.role AS "u.role",
	u.password_hash AS "u.password_hash", u.disabled_at AS "u.disabled_at", u.created_at AS "u.created_at",
	u.decides_from AS "u.decides_from"`

// SetPasswordWithLink sets the password of the user whose link token is, to
// hash, at at, once payout.LinkRefusal allows it, and uses the link up; the
// user's live sessions end. All in one transaction, audited as the user.
// ErrNotFound for an unknown token, ErrRefused (with the reason) for a link
// used, replaced or expired, or a disabled user.
func (s *Store) SetPasswordWithLink(ctx context.Context, token, hash string, at time.Time) (User, error) {
	var u User
	err := s.WithTx(ctx, func(q Querier) error {
		var row struct {
			PasswordLink
			User `db:"u"`
		}
		err := q.GetContext(ctx, &row, `SELECT `+linkColumns+`, `+userAs+`
			FROM password_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1 FOR UPDATE`, linkHash(token))
		if err != nil {
			return fmt.Errorf("store: password link: %w", mapErr(err))
		}
		l := row.PasswordLink
		u = row.User
		if why := payout.LinkRefusal(linkState(l, u), l.ExpiresAt, at); why != "" {
			return Refused("%s", why)
		}
		if _, err := q.ExecContext(ctx, `UPDATE password_links SET used_at = $2 WHERE id = $1`, l.ID, at); err != nil {
			return fmt.Errorf("store: use password link %d: %w", l.ID, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, u.ID, hash); err != nil {
			return fmt.Errorf("store: set password of user %d: %w", u.ID, err)
		}
		u.PasswordHash = hash
		n, err := endUserSessions(ctx, q, u.ID, EndPasswordSet)
		if err != nil {
			return err
		}
		// Whoever held a link an admin made from the dashboard now signs in
		// as the user: a deciding role waits again from this moment.
		var from *time.Time
		if l.ByUserID != nil {
			if from, err = grant(ctx, q, u.ID, u.Role, Actor{UserID: *l.ByUserID, Name: l.CreatedBy}); err != nil {
				return err
			}
			u.DecidesFrom = from
		}
		return audit(ctx, q, u.Email, "user.password_set", "user", fmt.Sprint(u.ID), withDecidesFrom(
			map[string]any{"link": l.ID, "link_by": l.CreatedBy, "sessions_ended": n}, from))
	})
	return u, err
}

// linkState is what payout.LinkRefusal needs to know of link l of user u.
func linkState(l PasswordLink, u User) payout.LinkState {
	return payout.LinkState{Used: l.UsedAt != nil, Replaced: l.ReplacedAt != nil, UserDisabled: u.DisabledAt != nil}
}
