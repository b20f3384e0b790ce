package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// statements keeps the statements payops runs on every webhook prepared
// (intake, apply's reads and batch, the delivery's row; and so every audit
// entry and payout event, which are written through a batch), and the
// session lookup every dashboard request makes, once per connection of the
// pool, the stuck list's count and page, and the reads of one payout's
// history by its id (events, audit entries, deliveries, gate evaluations):
// PostgreSQL then parses each once per connection instead of once per run,
// and may keep its plan. The history reads name no month (their tables are
// partitioned by time, not by payout), so each custom plan was made for
// every month kept: 2.3-4.4 ms a read with sixty months, 0.3-0.4 ms with
// the generic plan kept (BenchmarkPayoutHistory). The
// rest of the store sends its SQL as it is. A statement is prepared only
// when its generic plan is as good as a custom one: no parameter that a
// custom plan would fold away (a filter that may be empty), which is why
// the stuck list spells its filter into the text (stuckWhere).
//
// A statement is prepared in the background the first time it is asked
// for, and its callers run their SQL unprepared until it is ready, so no
// caller ever waits for a second connection: a transaction holding one of a
// full pool's connections would wait for ever. A statement that fails to
// prepare (the database is down) is tried again after a while.
//
// Prepared statements need a session of their own: behind a pooler in
// transaction mode (PgBouncer's default) payops needs the pooler's prepared
// statement support (PgBouncer 1.21 and later, max_prepared_statements).
type statements struct {
	mu sync.Mutex
	m  map[string]*prepared
}

type prepared struct {
	stmt    *sqlx.Stmt // nil until ready
	pending bool
	retryAt time.Time // after a failure
}

// prepareAgainAfter is how long a statement that failed to prepare waits
// before it is tried again.
const prepareAgainAfter = 10 * time.Second

// get returns query prepared on db, or nil while it is not (yet).
func (c *statements) get(db *sqlx.DB, query string) *sqlx.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*prepared{}
	}
	p := c.m[query]
	if p == nil {
		p = &prepared{}
		c.m[query] = p
	}
	if p.stmt != nil || p.pending || time.Now().Before(p.retryAt) {
		return p.stmt
	}
	p.pending = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stmt, err := db.PreparexContext(ctx, query)
		c.mu.Lock()
		defer c.mu.Unlock()
		p.pending = false
		if err != nil {
			p.retryAt = time.Now().Add(prepareAgainAfter)
			return
		}
		p.stmt = stmt
	}()
	return nil
}

// close closes every prepared statement.
func (c *statements) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.m {
		if p.stmt != nil {
			p.stmt.Close()
		}
	}
	c.m = nil
}

// txQuerier is the Querier WithTx hands its function: the transaction,
// which can run the store's prepared statements.
type txQuerier struct {
	*sqlx.Tx
	db    *sqlx.DB
	stmts *statements
}

// dbQuerier is the database outside any transaction, with the store's
// prepared statements.
type dbQuerier struct {
	*sqlx.DB
	stmts *statements
}

// q is the store's database as a Querier that runs the prepared statements.
func (s *Store) q() Querier { return dbQuerier{DB: s.db, stmts: &s.stmts} }

// readQ is reader as a Querier that runs prepared statements: the replica's
// own, when there is one.
func (s *Store) readQ() Querier {
	if s.read != nil {
		return dbQuerier{DB: s.read, stmts: &s.readStmts}
	}
	return s.q()
}

// stmtFor is query prepared for q, or nil when q cannot run prepared
// statements or the statement is not ready yet.
func stmtFor(ctx context.Context, q Querier, query string) *sqlx.Stmt {
	switch q := q.(type) {
	case *txQuerier:
		if st := q.stmts.get(q.db, query); st != nil {
			return q.Tx.StmtxContext(ctx, st)
		}
	case dbQuerier:
		return q.stmts.get(q.DB, query)
	}
	return nil
}

// getFast is q.GetContext through query's prepared statement when there is
// one: for the statements run on every webhook.
func getFast(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	if st := stmtFor(ctx, q, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return q.GetContext(ctx, dest, query, args...)
}

// selectFast is q.SelectContext through query's prepared statement when
// there is one.
func selectFast(ctx context.Context, q Querier, dest any, query string, args ...any) error {
	if st := stmtFor(ctx, q, query); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return q.SelectContext(ctx, dest, query, args...)
}

// execFast is q.ExecContext through query's prepared statement when there
// is one.
func execFast(ctx context.Context, q Querier, query string, args ...any) (sql.Result, error) {
	if st := stmtFor(ctx, q, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.ExecContext(ctx, query, args...)
}
