package pgtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// VacuumUntilAllVisible vacuums again, until it is, each of tables (or of
// their partitions) whose visibility map is not all set after the VACUUM
// that followed their load, as a database in use has it. One VACUUM right
// after a load can leave part of the map unset (seen: 4,177 of a million
// payouts' 28,572 pages after two in a row), and an index-only scan then
// reads the table's pages too: a benchmark's count of stuck payouts took
// twice as long, by chance of the run. It returns the tables it vacuumed
// again, and fails when one is still not all-visible after some tries
// rather than leave a benchmark to measure that.
func VacuumUntilAllVisible(ctx context.Context, db *sqlx.DB, tables ...string) ([]string, error) {
	const tries = 10
	var again []string
	for try := 1; ; try++ {
		var notAll []string
		err := db.SelectContext(ctx, &notAll, `SELECT c.oid::regclass::text FROM pg_class c
			WHERE c.relkind = 'r' AND c.relpages > 0 AND c.relallvisible < c.relpages
				AND (c.oid = ANY($1::regclass[]) OR EXISTS (SELECT 1 FROM pg_inherits i
					WHERE i.inhrelid = c.oid AND i.inhparent = ANY($1::regclass[])))
			ORDER BY c.relpages DESC`, pq.StringArray(tables))
		if err != nil {
			return again, fmt.Errorf("pgtest: visibility of %s: %w", strings.Join(tables, ", "), err)
		}
		if len(notAll) == 0 {
			return again, nil
		}
		if try == tries {
			return again, fmt.Errorf("pgtest: %s not all-visible after %d vacuums", strings.Join(notAll, ", "), tries)
		}
		if try == 1 {
			again = notAll
		} else {
			// Something still holds an old snapshot: give it time.
			select {
			case <-ctx.Done():
				return again, ctx.Err()
			case <-time.After(time.Duration(try) * 200 * time.Millisecond):
			}
		}
		for _, t := range notAll {
			if _, err := db.ExecContext(ctx, `VACUUM `+t); err != nil {
				return again, fmt.Errorf("pgtest: vacuum %s: %w", t, err)
			}
		}
	}
}
