// Package migrations holds payops' schema as embedded goose SQL files,
// NNNNN_verb_noun.sql, and applies them.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migration files.
func FS() embed.FS { return files }

// Up applies every pending migration to db. A PostgreSQL session lock makes
// concurrent starts of several instances safe: one migrates, the others wait.
// It returns the number of migrations applied.
func Up(ctx context.Context, db *sql.DB) (int, error) {
	return UpTo(ctx, db, 0)
}

// UpTo applies the pending migrations up to version (every one for 0), for
// tests of a data migration: a database as an older payops left it, then
// upgraded. It returns the number of migrations applied.
func UpTo(ctx context.Context, db *sql.DB, version int64) (int, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	var res []*goose.MigrationResult
	if version == 0 {
		res, err = p.Up(ctx)
	} else {
		res, err = p.UpTo(ctx, version)
	}
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	return len(res), nil
}
