package store

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lib/pq"
)

// RestoreArchive loads the archive file at path back for an investigation,
// into a side table restored_<table>_pYYYYMM shaped like its history table
// (plain, not a partition, so the retention job never archives it again,
// and append-only like the table it came from). The file must be one the
// database recorded: found by its checksum, so a file fetched back from a
// backup under another name or folder is found too; a file of an archive's
// name whose checksum is not the recorded one is refused before anything is
// loaded, as damaged; any other file is ErrNotFound. Its row count must be
// the recorded one too, or nothing is loaded. Columns the table gained or
// lost since the month was archived are fitted (fitColumns) and said in
// ColumnsChanged. A month restored already is ErrConflict: drop the side
// table to load it again. It returns the archive with RestoredTable set.
//
// The file is read twice: hashed first to find its record, then hashed
// again as it is loaded, so the bytes loaded are the bytes checked even if
// the file changed in between.
func (s *Store) RestoreArchive(ctx context.Context, path string) (Archive, error) {
	base := filepath.Base(path)
	sum, err := fileSHA256(path)
	if err != nil {
		return Archive{}, fmt.Errorf("store: restore %s: %w", base, err)
	}
	var found []Archive
	if err := s.db.SelectContext(ctx, &found, `SELECT `+archiveColumns+` FROM history_archives
		WHERE sha256 = $1 ORDER BY id DESC`, sum); err != nil {
		return Archive{}, fmt.Errorf("store: restore %s: %w", base, err)
	}
	if len(found) == 0 {
		var recorded string
		if s.db.GetContext(ctx, &recorded, `SELECT sha256 FROM history_archives
			WHERE regexp_replace(file, '^.*/', '') = $1 ORDER BY id DESC LIMIT 1`, base) == nil {
			return Archive{}, fmt.Errorf("store: restore %s: its SHA-256 is %s, but the archive of that name recorded %s: "+
				"the file is damaged or is not that archive; nothing was loaded", base, sum, recorded)
		}
		return Archive{}, fmt.Errorf("store: restore %s: no archive with its checksum: %w", base, ErrNotFound)
	}
	// Archives share a checksum only when they are empty months (the same
	// few bytes): then the file's name says which, or nothing is loaded.
	a := found[0]
	if len(found) > 1 {
		i := slices.IndexFunc(found, func(f Archive) bool { return filepath.Base(f.File) == base })
		if i < 0 {
			var files []string
			for _, f := range found {
				files = append(files, f.File)
			}
			return Archive{}, fmt.Errorf("store: restore %s: %d archives have its checksum (%s): give the file "+
				"its archived name", base, len(found), strings.Join(files, ", "))
		}
		a = found[i]
	}
	if _, err := historyTable(a.Table); err != nil {
		return Archive{}, fmt.Errorf("store: restore %s: %w", base, err)
	}
	side := "restored_" + a.Table + "_p" + a.Month.Format("200601")
	table := pq.QuoteIdentifier(side)
	err = s.WithTx(ctx, func(q Querier) error {
		var exists bool
		if err := q.GetContext(ctx, &exists, `SELECT to_regclass($1) IS NOT NULL`, side); err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%s is loaded already (drop it to load the file again): %w", side, ErrConflict)
		}
		if _, err := q.ExecContext(ctx, `CREATE TABLE `+table+` (LIKE `+pq.QuoteIdentifier(a.Table)+`)`); err != nil {
			return err
		}
		if a.ColumnsChanged, err = fitColumns(ctx, q, side, path); err != nil {
			return err
		}
		// The bytes loaded are the bytes checked: hashed as they are read.
		n, sum, err := loadArchive(ctx, q, table, path)
		if err != nil {
			return err
		}
		if sum != a.SHA256 {
			return fmt.Errorf("SHA-256 %s, but %s was recorded: the file is not the archive", sum, a.SHA256)
		}
		if n != a.Rows {
			return fmt.Errorf("%d rows in the file, %d recorded", n, a.Rows)
		}
		if _, err := q.ExecContext(ctx, `
			CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON `+table+`
				FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
			CREATE TRIGGER no_truncate BEFORE TRUNCATE ON `+table+`
				FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`); err != nil {
			return err
		}
		return q.GetContext(ctx, &a, `UPDATE history_archives SET restored_table = $2, restored_at = now()
			WHERE id = $1 RETURNING `+archiveColumns, a.ID, side)
	})
	if err != nil {
		return Archive{}, fmt.Errorf("store: restore %s: %w", base, err)
	}
	return a, nil
}

// fileSHA256 returns the SHA-256 (hex) of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadArchive inserts the lines of the gzip file at path into table, a
// thousand rows a statement, and returns how many and the SHA-256 of the
// file's bytes as they were read (the caller compares it before it commits).
func loadArchive(ctx context.Context, q Querier, table, path string) (n int64, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	tee := io.TeeReader(f, h)
	zr, err := gzip.NewReader(bufio.NewReader(tee))
	if err != nil {
		return 0, "", err
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	var batch strings.Builder
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		_, err := q.ExecContext(ctx, `INSERT INTO `+table+` SELECT * FROM json_populate_recordset(NULL::`+table+`, $1::json)`,
			"["+batch.String()+"]")
		batch.Reset()
		return err
	}
	for sc.Scan() {
		if batch.Len() > 0 {
			batch.WriteByte(',')
		}
		batch.Write(sc.Bytes())
		if n++; n%1000 == 0 {
			if err := flush(); err != nil {
				return n, "", err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, "", err
	}
	if err := flush(); err != nil {
		return n, "", err
	}
	// What follows the compressed stream counts too.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// fitColumns fits side, made like its history table today, to the columns
// of the archive file at path (its first row's keys: every row has the
// same), which may be years old: a column the table lost since (dropped,
// renamed) is added back as jsonb, holding what was archived, and one it
// gained is left NULL (its NOT NULL dropped). Without this an old file
// would load a gained NOT NULL column as NULL and fail, and lose a lost
// column's values without a word. It says what it did, or "".
func fitColumns(ctx context.Context, q Querier, side, path string) (string, error) {
	keys, err := archiveColumnsOf(path)
	if err != nil || keys == nil {
		return "", err
	}
	var cols []string
	if err := q.SelectContext(ctx, &cols, `SELECT attname FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, side); err != nil {
		return "", err
	}
	var said []string
	for _, k := range keys {
		if slices.Contains(cols, k) {
			continue
		}
		if _, err := q.ExecContext(ctx, `ALTER TABLE `+pq.QuoteIdentifier(side)+` ADD COLUMN `+pq.QuoteIdentifier(k)+
			` jsonb`); err != nil {
			return "", err
		}
		said = append(said, k+" (no longer in the table: loaded as jsonb)")
	}
	for _, c := range cols {
		if slices.Contains(keys, c) {
			continue
		}
		if _, err := q.ExecContext(ctx, `ALTER TABLE `+pq.QuoteIdentifier(side)+` ALTER COLUMN `+pq.QuoteIdentifier(c)+
			` DROP NOT NULL`); err != nil {
			return "", err
		}
		said = append(said, c+" (added since: NULL)")
	}
	if len(said) == 0 {
		return "", nil
	}
	return "columns changed since the month was archived: " + strings.Join(said, ", "), nil
}

// archiveColumnsOf returns the keys of the first row of the archive file
// at path, in their order; nil for a file of no rows.
func archiveColumnsOf(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(zr)
	tok, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("the first row: %w", err)
	case tok != json.Delim('{'):
		return nil, fmt.Errorf("the first row is not a JSON object")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
