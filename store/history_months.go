package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// HistoryMonth is one month of a history table kept in the database (a
// partition), or the table's default partition (Default, Month zero: its
// rows always counted, up to DefaultCountCap, Exact below it).
type HistoryMonth struct {
	Table   string
	Month   time.Time // the month's first instant, UTC; zero for the default partition
	Default bool
	// Rows is the month's rows: counted (Exact) for a small month, where
	// PostgreSQL's estimate is least to be trusted (made ahead and analyzed
	// empty, or too small for autovacuum to analyze again); its estimate
	// from the last analysis for the others. -1 when neither is known (a
	// large month never analyzed).
	Rows  int64
	Exact bool
	Bytes int64 // on disk, indexes and TOAST included
}

// HistoryMonths counts the rows of months up to exactCountBytes each (a few
// milliseconds), and of no more than exactCountTotal in all: a database of
// many such months reads the rest from the catalog.
const (
	exactCountBytes = 8 << 20
	exactCountTotal = 64 << 20
)

// HistoryMonths returns every month every history table keeps in the
// database, with its size and rows, by table (HistoryTables' order) and
// month, oldest first; each table's default partition comes last. Sizes
// and estimates come from the catalog, so the page that shows them reads
// no month's rows but those of small months (exactCountBytes) and of the
// default partitions, counted in one statement. A month dropped while it is read (archived, job runs
// pruned) has it read again once.
func (s *Store) HistoryMonths(ctx context.Context) ([]HistoryMonth, error) {
	out, err := s.historyMonths(ctx)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P01" { // undefined_table
		out, err = s.historyMonths(ctx)
	}
	return out, err
}

func (s *Store) historyMonths(ctx context.Context) ([]HistoryMonth, error) {
	names := make([]string, len(HistoryTables))
	for i, t := range HistoryTables {
		names[i] = t.Name
	}
	var parts []struct {
		Table string `db:"table_name"`
		Name  string `db:"relname"`
		Rows  int64  `db:"rows"`
		Bytes int64  `db:"bytes"`
	}
	// pg_total_relation_size is NULL for a month dropped since the catalog
	// was read.
	err := s.db.SelectContext(ctx, &parts, `
		SELECT t.name AS table_name, c.relname, c.reltuples::bigint AS rows,
			coalesce(pg_total_relation_size(c.oid), 0) AS bytes
		FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)
		CROSS JOIN LATERAL pg_partition_tree(t.name::regclass) pt
		JOIN pg_class c ON c.oid = pt.relid
		WHERE pt.isleaf
		ORDER BY t.n, c.relname = t.name || '_default', c.relname`, pq.Array(names))
	if err != nil {
		return nil, fmt.Errorf("store: history months: %w", err)
	}
	var out []HistoryMonth
	var counts []string // one SELECT a month counted, its index in out first
	counted := int64(0) // bytes of the months counted
	for _, p := range parts {
		m := HistoryMonth{Table: p.Table, Rows: p.Rows, Bytes: p.Bytes}
		if p.Name == p.Table+"_default" {
			m.Default = true
		} else if month, ok := partitionMonth(p.Table, p.Name); ok {
			m.Month = month
		} else {
			continue // not a partition payops made
		}
		switch {
		case m.Default:
			// Counted whatever its size, as DefaultRows counts it, up to
			// DefaultCountCap: the page's red note rests on it, and it is
			// empty normally.
			counts = append(counts, `SELECT `+strconv.Itoa(len(out))+` AS i, (`+defaultCountSQL(p.Name)+`) AS n`)
		case m.Bytes <= exactCountBytes && counted+m.Bytes <= exactCountTotal:
			counted += m.Bytes
			counts = append(counts, `SELECT `+strconv.Itoa(len(out))+` AS i, count(*) AS n FROM `+pq.QuoteIdentifier(p.Name))
		}
		out = append(out, m)
	}
	if len(counts) == 0 {
		return out, nil
	}
	var rows []struct {
		I int   `db:"i"`
		N int64 `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, strings.Join(counts, " UNION ALL ")); err != nil {
		return nil, fmt.Errorf("store: rows of the history months: %w", err)
	}
	for _, r := range rows {
		out[r.I].Rows, out[r.I].Exact = r.N, !out[r.I].Default || r.N < DefaultCountCap
	}
	return out, nil
}
