package store

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lib/pq"
)

// Archive is one month of a history table written to a file and dropped
// by the retention job (history_archives, migration 00041).
type Archive struct {
	ID            int64      `db:"id"`
	Table         string     `db:"table_name"`
	Month         time.Time  `db:"month"`
	File          string     `db:"file"`   // the path it was written to
	SHA256        string     `db:"sha256"` // of the file's (compressed) bytes, hex
	Rows          int64      `db:"rows"`
	Bytes         int64      `db:"bytes"`
	ArchivedAt    time.Time  `db:"archived_at"`
	RestoredTable *string    `db:"restored_table"` // the side table restore last loaded it into
	RestoredAt    *time.Time `db:"restored_at"`
	// ColumnsChanged says, for a restore, the columns the table gained or
	// lost since the month was archived (fitColumns); "" when none.
	ColumnsChanged string `db:"-"`
}

// archiveLookupTimeout bounds ArchivePartition's lookup of its own record
// after a failed commit.
var archiveLookupTimeout = 30 * time.Second

// archiveColumns read an archive; a side table restored once and dropped
// since (DROP TABLE when the investigation is done) is not named any more.
const archiveColumns = `id, table_name, month, file, sha256, rows, bytes, archived_at,
	CASE WHEN to_regclass(restored_table) IS NOT NULL THEN restored_table END AS restored_table,
	CASE WHEN to_regclass(restored_table) IS NOT NULL THEN restored_at END AS restored_at`

// ArchivePartition writes every row of p, a month of an archivable history
// table, to dir/<partition>.jsonl.gz (gzip, one row_to_json line per row, in
// id order), records the file's SHA-256 and row count in history_archives,
// then detaches and drops the month: all in one transaction, with the month
// locked against writes, so the month is gone only once its file and record
// are. What lives no longer than the month goes with it (ArchivedWith). It
// refuses the ledger and job_runs, and a month whose file an archive records
// already (ErrConflict). It never overwrites, moves or deletes a file it
// did not write: when a file no archive records holds the month's name, it
// writes beside it (besideName). Two archivers of one month take turns; the
// second finds the month gone.
func (s *Store) ArchivePartition(ctx context.Context, p Partition, dir string) (Archive, error) {
	t, err := historyTable(p.Table)
	if err != nil {
		return Archive{}, err
	}
	if !t.Archivable {
		return Archive{}, fmt.Errorf("store: archive %s: %s is never archived", p.Name, p.Table)
	}
	path := filepath.Join(dir, p.Name+".jsonl.gz")
	removeStaleTemps(dir)
	part, parent := pq.QuoteIdentifier(p.Name), pq.QuoteIdentifier(p.Table)
	var a Archive
	created := false    // this call published the file at path
	committing := false // the work is done: an error now is the commit's, whose outcome may be unknown
	err = s.WithTx(ctx, func(q Querier) error {
		// EXCLUSIVE: no writes, and no second archiver of the month, until
		// the end; reads go on. Waited for as the DETACH below is (at most
		// ddlLockWait): a write to the month going on must not leave the
		// month's other writers queued behind this lock for its length.
		if err := waitForDDL(ctx, q); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `LOCK TABLE `+part+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := os.Stat(path); err == nil {
			// A file no archive records is most likely what a crash between
			// writing it and committing left (the month is still here). It
			// may also be another database's archive, in a folder two
			// deployments share by mistake (a staging copy of production),
			// whose record names it: so it is left as it is, and the month
			// is written beside it.
			var recorded bool
			if err := q.GetContext(ctx, &recorded, `SELECT EXISTS (SELECT 1 FROM history_archives WHERE file = $1)`,
				path); err != nil {
				return err
			}
			if recorded {
				return fmt.Errorf("%s exists already: the month was archived, and its partition made again "+
					"since (move its rows elsewhere and drop it): %w", path, ErrConflict)
			}
			path = besideName(dir, p.Name, time.Now())
		}
		rows, err := q.QueryContext(ctx, `SELECT row_to_json(t)::text FROM `+part+` t ORDER BY id`)
		if err != nil {
			return err
		}
		n, sum, size, err := writeArchive(path, rows)
		rows.Close()
		if err != nil {
			return err
		}
		created = true
		err = q.GetContext(ctx, &a, `INSERT INTO history_archives (table_name, month, file, sha256, rows, bytes)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+archiveColumns, p.Table, p.Month, path, sum, n, size)
		if err != nil {
			return err
		}
		if t.ArchivedWith != "" {
			if _, err := q.ExecContext(ctx, fmt.Sprintf(t.ArchivedWith, part)); err != nil {
				return err
			}
		}
		// DETACH takes the table's strongest lock for a moment: it waits
		// behind readers a little (waitForDDL, above), then gives up until
		// the next run.
		if _, err := q.ExecContext(ctx, `ALTER TABLE `+parent+` DETACH PARTITION `+part); err != nil {
			return err
		}
		if _, err = q.ExecContext(ctx, `DROP TABLE `+part); err != nil {
			return err
		}
		committing = true
		return nil
	})
	if err != nil && created {
		// A commit that failed to answer may have committed, or may still
		// be committing (its record not yet seen from another connection):
		// then the month is gone and its record names the file, which must
		// stay. The file goes only when the work failed before the commit
		// (rolled back for sure); after an unanswered commit it stays, and
		// if the month is still here, the next run writes the month beside
		// it, a file no archive records.
		//
		// The lookup outlives the caller's context (a shutdown must not
		// lose the answer) but not archiveLookupTimeout: a database that
		// does not answer would otherwise hold the archive job's lock until
		// a restart. Unanswered, the file stays, as after an unanswered
		// commit.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), archiveLookupTimeout)
		defer cancel()
		var kept Archive
		gerr := s.db.GetContext(lctx, &kept, `SELECT `+archiveColumns+`
			FROM history_archives WHERE table_name = $1 AND month = $2 AND file = $3`, p.Table, p.Month, path)
		switch {
		case gerr == nil:
			return kept, nil
		case errors.Is(gerr, errNoRows) && !committing:
			os.Remove(path)
		}
	}
	if err != nil {
		return Archive{}, fmt.Errorf("store: archive %s: %w", p.Name, mapErr(err))
	}
	return a, nil
}

// besideName is where a month (partition name) is written when a file no
// archive records holds its usual name: the name with the time.
func besideName(dir, name string, now time.Time) string {
	return filepath.Join(dir, name+"-"+now.UTC().Format("20060102T150405.000000000Z")+".jsonl.gz")
}

// removeStaleTemps removes what an archive's writing left in dir when the
// process died mid-write: temporary files older than a day.
func removeStaleTemps(dir string) {
	temps, _ := filepath.Glob(filepath.Join(dir, ".archive-*"))
	for _, f := range temps {
		if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			os.Remove(f)
		}
	}
}

// writeArchive writes rows' single text column to path, gzip-compressed, a
// line each, through a temporary file synced before it is renamed, and
// returns the lines, the file's SHA-256 (hex) and its size.
func writeArchive(path string, rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (n int64, sum string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".archive-*")
	if err != nil {
		return 0, "", 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	counted := &countWriter{w: io.MultiWriter(tmp, h)}
	zw := gzip.NewWriter(counted)
	bw := bufio.NewWriterSize(zw, 1<<16)
	var line string
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return 0, "", 0, err
		}
		bw.WriteString(line)
		if err := bw.WriteByte('\n'); err != nil {
			return 0, "", 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, "", 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", 0, err
	}
	// A link, not a rename: it fails when path exists, so no archive is
	// ever replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		return 0, "", 0, err
	}
	os.Remove(tmp.Name())
	d, err := os.Open(filepath.Dir(path))
	if err == nil {
		err = d.Sync()
		d.Close()
	}
	if err != nil {
		os.Remove(path)
		return 0, "", 0, fmt.Errorf("sync the archive folder: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), counted.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Archives returns every archived month, oldest first.
func (s *Store) Archives(ctx context.Context) ([]Archive, error) {
	var out []Archive
	err := s.db.SelectContext(ctx, &out, `SELECT `+archiveColumns+` FROM history_archives ORDER BY month, table_name`)
	if err != nil {
		return nil, fmt.Errorf("store: archives: %w", err)
	}
	return out, nil
}

// ArchivesSince returns the archived months from since's month on, oldest
// first: where the history of a payout created at since that is no longer
// in the database is.
func (s *Store) ArchivesSince(ctx context.Context, since time.Time) ([]Archive, error) {
	var out []Archive
	err := s.db.SelectContext(ctx, &out, `SELECT `+archiveColumns+` FROM history_archives
		WHERE month >= date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC')::date ORDER BY month, table_name`, since)
	if err != nil {
		return nil, fmt.Errorf("store: archives since %s: %w", since.Format("2006-01"), err)
	}
	return out, nil
}
