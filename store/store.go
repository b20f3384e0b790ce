// Package store is payops' PostgreSQL storage through sqlx: the only package
// that writes SQL. One file per table group.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"payops/migrations"
)

// Errors callers branch on; wrapped with context by every method.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// errNoRows is what a query expecting one row returns when there is none.
var errNoRows = sql.ErrNoRows

// Querier runs queries on the database or inside a transaction, so store
// functions work either way.
type Querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Store is payops' database.
type Store struct {
	db *sqlx.DB
	// read, when set, is a read replica that lists, search and exports
	// read from (UseReplica); everything else reads the primary.
	read *sqlx.DB
	// locks holds the jobs' lock connections (BeginRun); nil (New) uses db.
	locks *sqlx.DB
	// stmts are the hot statements, prepared on each connection; readStmts
	// those run on the read replica (readQ).
	stmts, readStmts statements
	// StuckLongAfter is how long a payout sent stays unsettled before the
	// exceptions scan opens its stuck_long case (PAYOPS_STUCK_LONG_AFTER);
	// zero is payout.StuckLongAfter.
	StuckLongAfter time.Duration
	// groups, when set, take webhooks in (GroupWebhooks).
	groups atomic.Pointer[webhookGroups]
}

// openPool opens a connection pool to dsn of at most open connections,
// keeping idle of them; it connects only when used.
func openPool(dsn string, open, idle int) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withBinaryParameters(dsn))
	if err != nil {
		return nil, err
	}
	sizePool(db, open, idle)
	return db, nil
}

// sizePool bounds db to open connections, keeping idle of them.
func sizePool(db *sqlx.DB, open, idle int) {
	db.SetMaxOpenConns(open)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// reader is the handle lists, search and exports read from: the replica
// when there is one.
func (s *Store) reader() *sqlx.DB {
	if s.read != nil {
		return s.read
	}
	return s.db
}

// Open connects to the PostgreSQL database at dsn (a URL or key=value
// string). It does not wait for the database to answer: a server that is
// down at start makes pages answer 503 until it returns.
func Open(dsn string) (*Store, error) {
	db, err := openPool(dsn, 20, 10)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// The jobs' advisory locks hold a connection each for a whole run: a
	// pool of their own, so that a dozen jobs running at midnight leave the
	// main pool to their work and the pages.
	locks, err := openPool(dsn, 30, 2)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return &Store{db: db, locks: locks}, nil
}

// New wraps an open database handle.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB returns the underlying handle, for migrations and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the connection pools.
func (s *Store) Close() error {
	if s.read != nil {
		s.read.Close()
	}
	if s.locks != nil {
		s.locks.Close()
	}
	s.stmts.close()
	s.readStmts.close()
	return s.db.Close()
}

// Migrate applies pending migrations and returns how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	return migrations.Up(ctx, s.db.DB)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// WithTx runs fn in one transaction, committing when fn returns nil and
// rolling back otherwise.
func (s *Store) WithTx(ctx context.Context, fn func(q Querier) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&txQuerier{Tx: tx, db: s.db, stmts: &s.stmts}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// mapErr turns driver errors into the store's own: no rows is ErrNotFound and
// a unique violation ErrConflict; anything else is returned as it is.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrConflict, pqErr.Constraint)
	}
	return err
}

// IsRetryable reports whether err is the database refusing one transaction
// for the others running beside it — a deadlock (40P01), a serialization
// failure (40001), a lock it could not get in time (55P03) — which rolled
// it back whole: the same request again will most likely go through.
func IsRetryable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	switch pqErr.Code {
	case "40P01", "40001", "55P03":
		return true
	}
	return false
}

// IsUnavailable reports whether err means the database cannot be reached or
// is shutting down, as opposed to a bad query: pages answer 503 for it and
// the request may be tried again.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// lib/pq reports a connection the server closed mid-query as a bare EOF.
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// Class 08: connection exceptions; 57P0x: shutdown, cannot connect now.
		c := string(pqErr.Code)
		return len(c) == 5 && (c[:2] == "08" || c[:4] == "57P0" || c == "53300")
	}
	return false
}

// withBinaryParameters adds lib/pq's binary_parameters to dsn, unless it is
// set there already: a statement with parameters then takes one round trip
// to PostgreSQL instead of two (make bench: about a fifth more webhooks a
// second). In that mode []byte arguments are sent as binary, right for
// BYTEA; JSON for JSONB columns goes as text, through jsonArg.
func withBinaryParameters(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn // lib/pq reports it
		}
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn + " binary_parameters=yes")
}

// jsonArg is JSON for a JSONB parameter: as text (see
// withBinaryParameters), or NULL for nil.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// textArray is ss as a PostgreSQL text[]: empty, never NULL, for nil (a
// NULL array makes "<> ALL" unknown and filters out every row).
func textArray(ss []string) pq.StringArray {
	if ss == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(ss)
}
