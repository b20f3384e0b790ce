package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIToken is a bearer token of the platform API, without its secret.
type APIToken struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	Prefix     string     `db:"prefix"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

// ErrTokenRevoked is returned for a token that was revoked.
var ErrTokenRevoked = errors.New("token revoked")

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewToken returns a new random API token secret: "pot_" and 52 base32
// characters (256 bits).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "pot_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// CreateToken stores a new token's hash under name; ErrConflict when an
// active token has that name.
func (s *Store) CreateToken(ctx context.Context, name, token string) (APIToken, error) {
	var t APIToken
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &t, `INSERT INTO api_tokens (name, token_hash, prefix) VALUES ($1, $2, $3)
			RETURNING id, name, prefix, created_at, last_used_at, revoked_at`, name, tokenHash(token), token[:min(len(token), 12)])
		if err != nil {
			return fmt.Errorf("store: token %s: %w", name, mapErr(err))
		}
		return audit(ctx, q, "cli", "token.create", "api_token", fmt.Sprint(t.ID), map[string]any{"name": name, "prefix": t.Prefix})
	})
	return t, err
}

// RevokeToken revokes the active token called name; ErrNotFound when there
// is none.
func (s *Store) RevokeToken(ctx context.Context, name string) (APIToken, error) {
	var t APIToken
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &t, `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL
			RETURNING id, name, prefix, created_at, last_used_at, revoked_at`, name)
		if err != nil {
			return fmt.Errorf("store: revoke token %s: %w", name, mapErr(err))
		}
		return audit(ctx, q, "cli", "token.revoke", "api_token", fmt.Sprint(t.ID), map[string]any{"name": name})
	})
	return t, err
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]APIToken, error) {
	var out []APIToken
	err := s.db.SelectContext(ctx, &out, `SELECT id, name, prefix, created_at, last_used_at, revoked_at
		FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return out, nil
}

// Authenticate returns the token whose secret is token and notes its use;
// ErrNotFound for an unknown token, ErrTokenRevoked for a revoked one.
func (s *Store) Authenticate(ctx context.Context, token string) (APIToken, error) {
	var t APIToken
	err := s.db.GetContext(ctx, &t, `SELECT id, name, prefix, created_at, last_used_at, revoked_at
		FROM api_tokens WHERE token_hash = $1`, tokenHash(token))
	if err != nil {
		return APIToken{}, fmt.Errorf("store: token: %w", mapErr(err))
	}
	if t.RevokedAt != nil {
		return APIToken{}, ErrTokenRevoked
	}
	// At most one write a minute per token, however busy it is.
	_, err = s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, t.ID)
	if err != nil {
		return APIToken{}, fmt.Errorf("store: token use: %w", err)
	}
	return t, nil
}
