package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// JobRun is one run of a background job.
type JobRun struct {
	ID         int64      `db:"id"`
	Job        string     `db:"job"`
	Instance   string     `db:"instance"`
	Trigger    string     `db:"trigger"`
	Tick       *time.Time `db:"tick"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Examined   int        `db:"examined"`
	Changed    int        `db:"changed"`
	Error      string     `db:"error"`
	// Running reports, for RecentRuns, whether the run is going on now: it
	// has not finished, it is its job's latest, and the job's lock is held.
	// A run its instance never finished (it died, or could not record the
	// end) is not running.
	Running bool `db:"-"`
}

// ErrJobBusy is returned when another instance is running the job.
var ErrJobBusy = errors.New("job is running on another instance")

// JobLock is a job's PostgreSQL advisory lock, held on its own connection
// for the length of a run: if the instance dies, the connection and the
// lock go with it.
type JobLock struct {
	conn    *sql.Conn
	key     int64
	run     int64
	started time.Time // the run's partition key
}

func jobKey(job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("payops.job." + job))
	return int64(h.Sum64())
}

// BeginRun takes job's advisory lock and records the start of a run by
// instance. A scheduled run names its tick: when a run of that tick exists
// already (another instance ran it), or another instance holds the lock,
// it returns ErrJobBusy and nothing is recorded.
func (s *Store) BeginRun(ctx context.Context, job, instance string, tick *time.Time) (*JobLock, error) {
	pool := s.locks
	if pool == nil {
		pool = s.db
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: job %s: %w", job, err)
	}
	l := &JobLock{conn: conn, key: jobKey(job)}
	// The connection idles while the run works on others: a server's
	// idle_session_timeout must not end it, and the lock with it, mid-run
	// (another instance would start the job beside this run). PostgreSQL
	// before 14 has no such setting, nor the risk: its error is ignored.
	conn.ExecContext(ctx, `SET idle_session_timeout = 0`)
	// And if this instance's host dies or is cut off, PostgreSQL notices
	// within about half a minute (keepalives unanswered) and ends the
	// session, releasing the lock for the other instances: by default the
	// operating system's keepalive waits two hours, and submissions,
	// outbound webhooks and notices would stop everywhere meanwhile.
	conn.ExecContext(ctx, `SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3`)
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&locked); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: lock job %s: %w", job, err)
	}
	if !locked {
		conn.Close()
		return nil, ErrJobBusy
	}
	trigger := "manual"
	if tick != nil {
		trigger = "schedule"
	}
	// One run per tick: job_runs is partitioned by started_at (migration
	// 00040), so no unique index can say it; the job's advisory lock, held
	// here, orders every run's start, so checking first is enough.
	err = conn.QueryRowContext(ctx, `INSERT INTO job_runs (job, instance, trigger, tick)
		SELECT $1, $2, $3, $4::timestamptz
		WHERE $4::timestamptz IS NULL OR NOT EXISTS (SELECT 1 FROM job_runs WHERE job = $1 AND tick = $4::timestamptz)
		RETURNING id, started_at`, job, instance, trigger, tick).Scan(&l.run, &l.started)
	if err != nil {
		l.release()
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrJobBusy
		}
		return nil, fmt.Errorf("store: start job %s: %w", job, err)
	}
	return l, nil
}

// Finish records how the run ended and releases the lock.
func (l *JobLock) Finish(ctx context.Context, examined, changed int, runErr error) error {
	defer l.release()
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	_, err := l.conn.ExecContext(ctx, `UPDATE job_runs SET finished_at = now(), examined = $2, changed = $3, error = $4
		WHERE id = $1 AND started_at = $5`, l.run, examined, changed, msg, l.started)
	if err != nil {
		return fmt.Errorf("store: finish job run %d: %w", l.run, err)
	}
	return nil
}

func (l *JobLock) release() {
	// A fresh context: the run's may be cancelled, the lock must go anyway
	// (closing the connection would release it too).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	l.conn.Close()
}

// LatestRuns returns each job's latest run.
func (s *Store) LatestRuns(ctx context.Context) ([]JobRun, error) {
	var out []JobRun
	err := s.db.SelectContext(ctx, &out, `
		SELECT DISTINCT ON (job) id, job, instance, trigger, tick, started_at, finished_at, examined, changed, error
		FROM job_runs ORDER BY job, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: latest job runs: %w", err)
	}
	return out, nil
}

// RecentRuns returns the latest perJob runs of every job that has run, by
// job and newest first, with whether each is running now. Each job's runs
// are read along job_runs_latest (job, id DESC), the jobs found by skipping
// through that index, so the cost is the runs returned, not the weeks of
// runs kept.
func (s *Store) RecentRuns(ctx context.Context, perJob int) ([]JobRun, error) {
	var out []JobRun
	err := s.db.SelectContext(ctx, &out, `
		WITH RECURSIVE jobs AS (
			(SELECT job FROM job_runs ORDER BY job LIMIT 1)
			UNION ALL
			SELECT (SELECT r.job FROM job_runs r WHERE r.job > j.job ORDER BY r.job LIMIT 1) FROM jobs j WHERE j.job IS NOT NULL
		)
		SELECT r.id, r.job, r.instance, r.trigger, r.tick, r.started_at, r.finished_at, r.examined, r.changed, r.error
		FROM jobs j CROSS JOIN LATERAL (
			SELECT id, job, instance, trigger, tick, started_at, finished_at, examined, changed, error
			FROM job_runs WHERE job = j.job ORDER BY id DESC LIMIT $1) r
		WHERE j.job IS NOT NULL
		ORDER BY r.job, r.id DESC`, perJob)
	if err != nil {
		return nil, fmt.Errorf("store: recent job runs: %w", err)
	}
	return out, s.markRunning(ctx, out)
}

// markRunning sets Running on the unfinished runs that are their job's
// latest and whose job's advisory lock someone holds: a run holds it from
// its start to its recorded end, and an instance that dies lets go of it
// with its connection.
func (s *Store) markRunning(ctx context.Context, runs []JobRun) error {
	open := false
	for i, r := range runs {
		open = open || (r.FinishedAt == nil && (i == 0 || runs[i-1].Job != r.Job))
	}
	if !open {
		return nil
	}
	// pg_locks shows a bigint advisory key as its high and low 32 bits.
	var keys []int64
	err := s.db.SelectContext(ctx, &keys, `SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND granted`)
	if err != nil {
		return fmt.Errorf("store: job locks: %w", err)
	}
	for i := range runs {
		r := &runs[i]
		r.Running = r.FinishedAt == nil && (i == 0 || runs[i-1].Job != r.Job) && slices.Contains(keys, jobKey(r.Job))
	}
	return nil
}

// RunsOf returns a job's latest runs, newest first, with whether the
// latest is running now.
func (s *Store) RunsOf(ctx context.Context, job string, limit int) ([]JobRun, error) {
	var out []JobRun
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, job, instance, trigger, tick, started_at, finished_at, examined, changed, error
		FROM job_runs WHERE job = $1 ORDER BY id DESC LIMIT $2`, job, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs of %s: %w", job, err)
	}
	return out, s.markRunning(ctx, out)
}
