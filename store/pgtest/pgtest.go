// Package pgtest gives tests a real PostgreSQL database: it starts the
// project's private test cluster when it is not running (in .data/
// test-postgres, durability off), migrates a template database once per
// version of the migrations, and creates a fresh database from it for each
// test. There is no skip: a test that cannot have its database fails.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"payops/migrations"
	"payops/store"
	"payops/store/pgcluster"
)

var (
	once     sync.Once
	admin    *sql.DB
	cluster  *pgcluster.Cluster
	port     int
	template string
	setupErr error
)

// New returns a store on a new, migrated database of its own, dropped when
// the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	dsn := NewDSN(t)
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewDSN creates a new migrated database for the test and returns its DSN.
func NewDSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	name := fmt.Sprintf("t_%s_%08x", sanitize(t.Name()), rand.Uint32())
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, template)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name))
	})
	return cluster.DSN(port, name)
}

// NewEmptyDSN creates a new database with no schema for the test (for
// tests that migrate it themselves) and returns its DSN.
func NewEmptyDSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	name := fmt.Sprintf("e_%s_%08x", sanitize(t.Name()), rand.Uint32())
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name))
	})
	return cluster.DSN(port, name)
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

func sanitize(s string) string {
	s = unsafeChars.ReplaceAllString(strings.ToLower(s), "_")
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

func setup() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir := os.Getenv("PAYOPS_TEST_PGDIR")
	if dir == "" {
		dir = filepath.Join(root, ".data", "test-postgres")
	}
	cluster, err = pgcluster.New(dir, true)
	if err != nil {
		return err
	}
	dsn, err := cluster.Start("postgres")
	if err != nil {
		return err
	}
	admin, err = sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	admin.SetMaxOpenConns(4)
	if err := admin.QueryRow(`SELECT current_setting('port')::int`).Scan(&port); err != nil {
		return fmt.Errorf("cluster in %s does not answer: %w", dir, err)
	}
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "payops_tmpl_" + sum[:12]
	return ensureTemplate()
}

// ensureTemplate creates and migrates the template database unless a
// complete one exists. Test packages run in parallel processes, so an
// advisory lock lets one build it while the others wait. A template is
// complete once marked IS_TEMPLATE, which happens only after migrating.
func ensureTemplate() error {
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`)

	var done sql.NullBool
	err = conn.QueryRowContext(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, template).Scan(&done)
	if err == nil && done.Bool {
		return nil
	}
	if err == nil {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE %q WITH (FORCE)`, template)); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %q`, template)); err != nil {
		return err
	}
	db, err := sqlx.Open("postgres", cluster.DSN(port, template))
	if err != nil {
		return err
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		db.Close()
		return err
	}
	if err := seedMarkets(ctx, db); err != nil {
		db.Close()
		return err
	}
	db.Close()
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q IS_TEMPLATE true`, template))
	return err
}

// LiveMarkets are the markets every test database has live, as the upgrade
// makes a market that had payouts: live by a document whose owners and
// settlement path are not written yet. Other markets (PH) have no document
// and are read-only.
var LiveMarkets = []string{"IN", "ID", "US"}

// seedVersion changes when seedMarkets does, so templates are built again.
const seedVersion = "markets-1"

func seedMarkets(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `
		INSERT INTO market_documents (market, program, version, document, live, changed_by, reason)
		SELECT m, 'default', 1, jsonb_build_object('market', m, 'program', 'default', 'live', true, 'owners', '{}'::jsonb,
			'tax_artifacts_required', true, 'settlement', '{}'::jsonb), true, 'pgtest',
			'live for tests, as the upgrade makes a market that had payouts'
		FROM unnest($1::text[]) m`, pq.Array(LiveMarkets))
	if err != nil {
		return fmt.Errorf("pgtest: seed markets: %w", err)
	}
	return nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	h.Write([]byte(seedVersion))
	err := fs.WalkDir(migrations.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working folder")
		}
		dir = parent
	}
}
