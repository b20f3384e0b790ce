package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"payops/payout"
	"payops/store"
)

// ArchiveStore is what the retention job reads and changes.
type ArchiveStore interface {
	Partitions(ctx context.Context, table string) ([]store.Partition, error)
	ArchivePartition(ctx context.Context, p store.Partition, dir string) (store.Archive, error)
}

// Archiver is the retention job: every month of a history table older than
// the table's retention is written to a compressed file in Dir, recorded
// with its checksum and row count, and dropped (store.ArchivePartition).
// The ledger is never archived (payout.ParseRetention refuses it). With no
// Dir it archives nothing: a month is never dropped without its file; with
// a Dir that does not exist it archives nothing and fails.
type Archiver struct {
	Store     ArchiveStore
	Dir       string
	Retention payout.Retention
	Log       *slog.Logger
	Now       func() time.Time // time.Now when nil
}

// CheckDir says whether the archive folder is there. It is not made when
// missing: a folder that is not there is most often a volume not mounted,
// and months written to the disk under it would be dropped from the
// database with their only copy off the backups.
func (a *Archiver) CheckDir() error {
	if st, err := os.Stat(a.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("archive: the archive folder %s is not there (a volume not mounted?): nothing archived; "+
			"create or mount it", a.Dir)
	}
	return nil
}

// Run archives every month due, oldest first; Examined is the months looked
// at, Changed those archived. A month that fails is left for the next run
// with the months of its table after it; other tables' are still archived,
// and the errors are returned together.
func (a *Archiver) Run(ctx context.Context) (Outcome, error) {
	var out Outcome
	if a.Dir == "" {
		return out, nil
	}
	if err := a.CheckDir(); err != nil {
		return out, err
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	var errs []error
	for _, table := range payout.ArchivableTables {
		parts, err := a.Store.Partitions(ctx, table)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range parts {
			out.Examined++
			if !a.Retention.Due(table, p.Month, now) {
				continue
			}
			arch, err := a.Store.ArchivePartition(ctx, p, a.Dir)
			if err != nil {
				errs = append(errs, err)
				if errors.Is(err, store.ErrConflict) {
					// Archived already, and its partition made again since:
					// no hole before the months after it.
					continue
				}
				// The table's later months wait for this one: what is
				// archived of a table is always everything before a month
				// (the payout page says so), never a month with a hole
				// before it.
				break
			}
			out.Changed++
			a.Log.Info("history month archived", "table", table, "month", p.Month.Format("2006-01"),
				"file", arch.File, "rows", arch.Rows, "sha256", arch.SHA256)
		}
	}
	return out, errors.Join(errs...)
}
