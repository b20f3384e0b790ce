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
