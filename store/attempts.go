package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// AttemptCount is how many sign-in attempts a throttle key has had in a
// window, and when the oldest of them was.
type AttemptCount struct {
	Key    string    `db:"key"`
	Count  int       `db:"count"`
	Oldest time.Time `db:"oldest"`
}

// AddLoginAttempt records one sign-in attempt at at under each of keys,
// then counts each key's attempts since since, this one included. The
// insert commits before the count, so that of two concurrent attempts the
// one counting later sees the other's rows (under READ COMMITTED a
// statement sees what committed before it began): however many come at
// once, no more than a limit see a count within it. It returns the new
// rows' ids and, in keys' order, the counts.
func (s *Store) AddLoginAttempt(ctx context.Context, keys []string, at, since time.Time) ([]int64, []AttemptCount,
	error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `INSERT INTO login_attempts (key, attempted_at)
		SELECT unnest($1::text[]), $2 RETURNING id`, pq.Array(keys), at)
	if err != nil {
		return nil, nil, fmt.Errorf("store: add login attempt: %w", err)
	}
	var found []AttemptCount
	err = s.db.SelectContext(ctx, &found, `SELECT key, count(*) AS count, min(attempted_at) AS oldest FROM login_attempts
		WHERE key = ANY($1) AND attempted_at > $2 GROUP BY key`, pq.Array(keys), since)
	if err != nil {
		return ids, nil, fmt.Errorf("store: count login attempts: %w", err)
	}
	counts := make([]AttemptCount, len(keys))
	for i, k := range keys {
		counts[i] = AttemptCount{Key: k}
		for _, f := range found {
			if f.Key == k {
				counts[i] = f
			}
		}
	}
	return ids, counts, nil
}

// DeleteLoginAttempts deletes the attempt rows ids and, unless clearKey is
// "", every attempt under clearKey.
func (s *Store) DeleteLoginAttempts(ctx context.Context, ids []int64, clearKey string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE id = ANY($1) OR key = $2`,
		pq.Array(ids), clearKey)
	if err != nil {
		return fmt.Errorf("store: delete login attempts: %w", err)
	}
	return nil
}

// PruneLoginAttempts deletes the attempts made before before and returns
// how many.
func (s *Store) PruneLoginAttempts(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE attempted_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune login attempts: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
