package main

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"fmt"

	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/handlers"
	"payops/store"
)

//go:embed pgbench/*.sql
var scripts embed.FS

// The pgbench scripts of benchmark 1, by the outcome they stand for.
var scriptFor = map[string]string{
	store.OutcomeApplied:   "pgbench/new.sql",
	store.OutcomeDuplicate: "pgbench/duplicate.sql",
	store.OutcomeStale:     "pgbench/stale.sql",
}

// checkScripts posts a new, a duplicate and a stale signed webhook to the
// real endpoint (handlers.Webhooks on the store, as serve wires it) on a
// database seeded by seed with shape{inFlight: true}, recording every
// statement the endpoint sends to PostgreSQL, and compares them with the
// pgbench script of that outcome: the same statements in the same order,
// with $n where the script has a variable (or the empty string or NULL the endpoint
// sends). It returns an error naming the first difference.
func checkScripts(ctx context.Context, dsn string, payouts int) error {
	rec := &recorder{}
	conn, err := pq.NewConnector(dsn)
	if err != nil {
		return err
	}
	db := sqlx.NewDb(sql.OpenDB(recordingConnector{conn, rec}), "postgres")
	defer db.Close()
	secret := "bench-check-secret"
	wh := &handlers.Webhooks{Store: store.New(db), Log: slog.New(slog.DiscardHandler),
		Providers: adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", WebhookSecret: secret})}}
	ev := newEvents(secret, payouts, 0, 1)
	rnd := rand.New(rand.NewPCG(1, 2))
	first, err := ev.fresh()
	if err != nil {
		return err
	}
	for _, c := range []struct {
		outcome string
		body    []byte
	}{{store.OutcomeApplied, first}, {store.OutcomeDuplicate, first}, {store.OutcomeStale, ev.stale(rnd)}} {
		rec.reset()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhooks/sandbox", bytes.NewReader(c.body))
		req.SetPathValue("provider", "sandbox")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-NxtB-Signature", ev.sign(c.body))
		w := httptest.NewRecorder()
		wh.Receive(w, req)
		var res struct{ Outcome string }
		json.NewDecoder(w.Body).Decode(&res)
		if w.Code != http.StatusOK || res.Outcome != c.outcome {
			return fmt.Errorf("check: the endpoint answered %d %q, want 200 %q", w.Code, res.Outcome, c.outcome)
		}
		script, err := scripts.ReadFile(scriptFor[c.outcome])
		if err != nil {
			return err
		}
		if err := sameStatements(rec.statements(), scriptStatements(string(script))); err != nil {
			return fmt.Errorf("%s does not run what the endpoint runs for a %s webhook: %w", scriptFor[c.outcome], c.outcome, err)
		}
	}
	return nil
}

func sameStatements(endpoint, script []string) error {
	for i := range max(len(endpoint), len(script)) {
		var e, s string
		if i < len(endpoint) {
			e = normalize(endpoint[i], false)
		}
		if i < len(script) {
			s = normalize(script[i], true)
		}
		if e != s {
			return fmt.Errorf("statement %d of %d:\n  endpoint: %s\n  script:   %s", i+1, len(endpoint), e, s)
		}
	}
	return nil
}

var (
	space       = regexp.MustCompile(`\s+`)
	placeholder = regexp.MustCompile(`\$\d+`)
	variable    = regexp.MustCompile(`(^|[^:]):[A-Za-z_][A-Za-z0-9_]*`)
	literal     = regexp.MustCompile(`([(,=]\s*)('[^']*'|NULL\b)`)
)

// normalize makes a statement comparable: one space between words, and ?
// for each parameter and literal value — $n in the endpoint's, a variable
// in the script's.
func normalize(stmt string, script bool) string {
	s := strings.TrimSpace(space.ReplaceAllString(stmt, " "))
	s = strings.TrimSuffix(s, ";")
	// A literal in either is a ? too: the script's stand for the values the
	// endpoint sends, and the endpoint's own SQL has a few ('' in coalesce).
	s = literal.ReplaceAllString(s, "$1?")
	if script {
		s = variable.ReplaceAllString(s, "$1?")
	} else {
		s = placeholder.ReplaceAllString(s, "?")
	}
	return strings.TrimSpace(s)
}

// scriptStatements splits a pgbench script into its SQL commands, leaving
// out comments and meta-commands; \gset ends a command as ; does. A command
// that \gsets variables prefixed arr_ is the script's own, not the
// endpoint's, and is left out too: it makes the arrays the endpoint sends
// out of the script's variables (pgbench's \set makes numbers only).
func scriptStatements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		line, _, _ = strings.Cut(line, "--")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, `\`) {
			continue
		}
		sqlPart, prefix, gset := strings.Cut(t, `\gset`)
		cur.WriteString(sqlPart + " ")
		if gset || strings.HasSuffix(t, ";") {
			if strings.TrimSpace(prefix) != "arr_" {
				out = append(out, strings.TrimSpace(cur.String()))
			}
			cur.Reset()
		}
	}
	return out
}

// recorder keeps the statements sent through a recordingConnector.
type recorder struct {
	mu    sync.Mutex
	stmts []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.stmts = append(r.stmts, s)
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.stmts = nil
	r.mu.Unlock()
}

func (r *recorder) statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stmts...)
}

// recordingConnector is lib/pq, recording each statement (and BEGIN,
// COMMIT, ROLLBACK) before sending it on.
type recordingConnector struct {
	pq  driver.Connector
	rec *recorder
}

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: conn, rec: c.rec}, nil
}

func (c recordingConnector) Driver() driver.Driver { return c.pq.Driver() }

type recordingConn struct {
	driver.Conn
	rec *recorder
}

func (c *recordingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.rec.add("BEGIN")
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return recordingTx{tx, c.rec}, nil
}

func (c *recordingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.rec.add(query)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *recordingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.add(query)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

// PrepareContext prepares query, to be recorded each time it runs: the
// store keeps its hot statements prepared.
func (c *recordingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return recordingStmt{st, query, c.rec}, nil
}

type recordingStmt struct {
	driver.Stmt
	query string
	rec   *recorder
}

func (s recordingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.rec.add(s.query)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s recordingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.rec.add(s.query)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s recordingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *recordingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *recordingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *recordingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

type recordingTx struct {
	tx  driver.Tx
	rec *recorder
}

func (t recordingTx) Commit() error {
	t.rec.add("COMMIT")
	return t.tx.Commit()
}

func (t recordingTx) Rollback() error {
	t.rec.add("ROLLBACK")
	return t.tx.Rollback()
}
