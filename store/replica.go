package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// UseReplica sends the payout list and search, the audit log's list and
// the CSV exports to the read replica at dsn (PAYOPS_READ_DATABASE_URL):
// they read much and may lag the primary by the replica's delay. Payout
// pages, actions and everything that decides read the primary. A
// connection to the replica that fails is a ReplicaError, so a page can
// say it is the replica, not the database payops writes, that is down.
func (s *Store) UseReplica(dsn string) error {
	c, err := pq.NewConnector(withBinaryParameters(dsn))
	if err != nil {
		return fmt.Errorf("store: open the read replica: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(replicaConnector{c}), "postgres")
	sizePool(db, 10, 5)
	s.read = db
	return nil
}

// ReplicaError is a failure to connect to the read replica: down, not
// accepting connections, or refusing payops' credentials.
type ReplicaError struct{ Err error }

func (e *ReplicaError) Error() string { return "read replica: " + e.Err.Error() }
func (e *ReplicaError) Unwrap() error { return e.Err }

// IsReplicaDown reports whether err is a failure to reach the read replica.
func IsReplicaDown(err error) bool {
	var r *ReplicaError
	return errors.As(err, &r)
}

// replicaConnector connects to the replica, its failures ReplicaErrors.
type replicaConnector struct{ driver.Connector }

func (c replicaConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil && ctx.Err() == nil { // not a request that ended meanwhile
		return nil, &ReplicaError{Err: err}
	}
	return conn, err
}

// IsRecoveryConflict reports whether err is a read the replica cancelled
// while applying the primary's changes (SQLSTATE 40001, "conflict with
// recovery"): retryable like a serialization failure, but nothing of the
// reader's was being changed.
func IsRecoveryConflict(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "40001" && strings.Contains(pqErr.Message, "conflict with recovery")
}

// ReplicaLag reads how far the read replica's replay is behind the primary,
// in seconds: 0 when it has replayed everything it received, else the time
// since the last transaction it replayed. configured is false with no
// replica. lag is -1 when the replica is not a standby in recovery (a
// logical copy, say), which does not tell. An error is the replica not
// answering.
func (s *Store) ReplicaLag(ctx context.Context) (lag float64, configured bool, err error) {
	if s.read == nil {
		return 0, false, nil
	}
	var v sql.NullFloat64
	err = s.read.GetContext(ctx, &v, `SELECT CASE
		WHEN NOT pg_is_in_recovery() THEN NULL
		WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
		ELSE greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END`)
	if err != nil {
		return 0, true, fmt.Errorf("store: read replica's lag: %w", err)
	}
	if !v.Valid {
		return -1, true, nil
	}
	return v.Float64, true, nil
}
