package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// APIToken is a bearer token of the platform API, without its secret.
type APIToken struct {
	ID     int64        `db:"id"`
	Name   string       `db:"name"`
	Prefix string       `db:"prefix"`
	Scope  payout.Scope `db:"scope"`
	// RatePerSecond is the token's own request rate; nil for the default.
	RatePerSecond *int `db:"rate_per_second"`
	// AllowFrom lists the networks (CIDR) the token is accepted from;
	// empty for anywhere.
	AllowFrom  pq.StringArray `db:"allow_from"`
	CreatedAt  time.Time      `db:"created_at"`
	LastUsedAt *time.Time     `db:"last_used_at"`
	RevokedAt  *time.Time     `db:"revoked_at"`
}

// TokenSpec is a token to create: its name, scope, and optionally its own
// rate and the networks it is accepted from.
type TokenSpec struct {
	Name          string
	Scope         payout.Scope
	RatePerSecond int      // 0 for the default
	AllowFrom     []string // CIDR or single addresses; none for anywhere
	By            string   // who creates it, for the audit log
}

const tokenColumns = `id, name, prefix, scope, rate_per_second, allow_from, created_at, last_used_at, revoked_at`

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

// CreateToken stores a new token's hash as spec says; ErrConflict when an
// active token has that name. An address in AllowFrom that is not an
// address or network is a database error (the caller checks them first).
func (s *Store) CreateToken(ctx context.Context, spec TokenSpec, token string) (APIToken, error) {
	var t APIToken
	var rate *int
	if spec.RatePerSecond > 0 {
		rate = &spec.RatePerSecond
	}
	allow := pq.StringArray(spec.AllowFrom)
	if allow == nil {
		allow = pq.StringArray{}
	}
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &t, `INSERT INTO api_tokens (name, token_hash, prefix, scope, rate_per_second, allow_from)
			VALUES ($1, $2, $3, $4, $5, $6::cidr[]) RETURNING `+tokenColumns,
			spec.Name, tokenHash(token), token[:min(len(token), 12)], spec.Scope, rate, allow)
		if err != nil {
			return fmt.Errorf("store: token %s: %w", spec.Name, mapErr(err))
		}
		return audit(ctx, q, cmp.Or(spec.By, "cli"), "token.create", "api_token", fmt.Sprint(t.ID),
			map[string]any{"name": spec.Name, "prefix": t.Prefix, "scope": t.Scope, "rate_per_second": rate,
				"allow_from": t.AllowFrom})
	})
	return t, err
}

// RevokeToken revokes the active token called name for by ("" for the
// command line); ErrNotFound when there is none.
func (s *Store) RevokeToken(ctx context.Context, name, by string) (APIToken, error) {
	return s.revokeToken(ctx, `name = $1`, name, by)
}

// RevokeTokenID revokes token id for by, when it is active; ErrNotFound when
// there is no such active token.
func (s *Store) RevokeTokenID(ctx context.Context, id int64, by string) (APIToken, error) {
	return s.revokeToken(ctx, `id = $1`, id, by)
}

// revokeToken revokes the active token where says, with key as its $1.
func (s *Store) revokeToken(ctx context.Context, where string, key any, by string) (APIToken, error) {
	var t APIToken
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &t, `UPDATE api_tokens SET revoked_at = now() WHERE `+where+` AND revoked_at IS NULL
			RETURNING `+tokenColumns, key)
		if err != nil {
			return fmt.Errorf("store: revoke token %v: %w", key, mapErr(err))
		}
		return audit(ctx, q, cmp.Or(by, "cli"), "token.revoke", "api_token", fmt.Sprint(t.ID),
			map[string]any{"name": t.Name, "prefix": t.Prefix})
	})
	return t, err
}

// TokenByID returns token id, revoked or not; ErrNotFound when there is none.
func (s *Store) TokenByID(ctx context.Context, id int64) (APIToken, error) {
	var t APIToken
	if err := s.db.GetContext(ctx, &t, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id); err != nil {
		return APIToken{}, fmt.Errorf("store: token %d: %w", id, mapErr(err))
	}
	return t, nil
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]APIToken, error) {
	var out []APIToken
	err := s.db.SelectContext(ctx, &out, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	return out, nil
}

// Authenticate returns the token whose secret is token and notes its use;
// ErrNotFound for an unknown token, ErrTokenRevoked for a revoked one.
func (s *Store) Authenticate(ctx context.Context, token string) (APIToken, error) {
	var t APIToken
	err := s.db.GetContext(ctx, &t, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, tokenHash(token))
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
