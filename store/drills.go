package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DrillRun is one failure drill started from the dashboard: its progress
// while it runs and its report (JSON, the drill package's Report) after.
type DrillRun struct {
	ID         int64      `db:"id"`
	Scenario   string     `db:"scenario"`
	Market     string     `db:"market"` // the market its payouts go to (ISO country)
	Payouts    int        `db:"payouts"`
	State      string     `db:"state"` // running, passed, failed, interrupted
	Phase      string     `db:"phase"`
	Done       int        `db:"done"`
	Total      int        `db:"total"`
	StartedBy  string     `db:"started_by"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Report     []byte     `db:"report"` // JSON; nil until finished
	Error      string     `db:"error"`
	// While converging: what the drill waits for (JSON, the drill
	// package's Waiting) and when it runs the stale re-check next.
	Waiting       []byte     `db:"waiting"`
	NextRecheckAt *time.Time `db:"next_recheck_at"`
}

// Drill run states.
const (
	DrillRunning     = "running"
	DrillPassed      = "passed"
	DrillFailed      = "failed"
	DrillInterrupted = "interrupted"
)

const drillColumns = `id, scenario, market, payouts, state, phase, done, total, started_by, started_at, finished_at,
	report, error, waiting, next_recheck_at`

// NewDrillRun is a drill to start: its scenario, the market its payouts go
// to, and how many.
type NewDrillRun struct {
	Scenario string
	Market   string // "IN" when empty
	Payouts  int
	Instance string // the payops running it (its host and address): InterruptDrillRuns
}

// StartDrillRun records a drill starting; Refused while another runs.
func (s *Store) StartDrillRun(ctx context.Context, n NewDrillRun, by Actor) (DrillRun, error) {
	if n.Market == "" {
		n.Market = "IN"
	}
	var run DrillRun
	err := s.WithTx(ctx, func(q Querier) error {
		// A drill whose payops stopped and never came back holds the one
		// running slot only until its progress is stale.
		if _, err := interruptDrills(ctx, q, ""); err != nil {
			return err
		}
		err := q.GetContext(ctx, &run, `INSERT INTO drill_runs (scenario, market, payouts, started_by, total, instance)
			VALUES ($1, $2, $3, $4, $3, $5) RETURNING `+drillColumns, n.Scenario, n.Market, n.Payouts, by.Name, n.Instance)
		if errors.Is(mapErr(err), ErrConflict) {
			return Refused("a drill is running already: wait for its report")
		}
		if err != nil {
			return fmt.Errorf("store: start drill: %w", err)
		}
		return audit(ctx, q, by.Name, "drill.start", "drill", fmt.Sprint(run.ID),
			map[string]any{"scenario": n.Scenario, "market": n.Market, "payouts": n.Payouts})
	})
	return run, err
}

// DrillStep is how far a running drill is.
type DrillStep struct {
	Phase       string // creating, converging
	Done, Total int
	// Waiting is what a converging drill waits for (the drill package's
	// Waiting, kept as JSON); nil in other phases.
	Waiting any
	// NextRecheck is when the drill runs the stale re-check next; nil when
	// it does not run it itself.
	NextRecheck *time.Time
}

// DrillProgress records how far a running drill is.
func (s *Store) DrillProgress(ctx context.Context, id int64, step DrillStep) error {
	var waiting []byte
	if step.Waiting != nil {
		var err error
		if waiting, err = json.Marshal(step.Waiting); err != nil {
			return fmt.Errorf("store: drill progress: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, `UPDATE drill_runs SET done = $2, total = $3, phase = $4, waiting = $5,
		next_recheck_at = $6, progress_at = now() WHERE id = $1 AND state = 'running'`,
		id, step.Done, step.Total, step.Phase, jsonArg(waiting), step.NextRecheck)
	if err != nil {
		return fmt.Errorf("store: drill progress: %w", err)
	}
	return nil
}

// FinishDrillRun records a drill's end: its report when it ran to the end
// (passed or failed by the report), or why it could not.
func (s *Store) FinishDrillRun(ctx context.Context, id int64, state string, report any, errText string) error {
	var b []byte
	if report != nil {
		var err error
		if b, err = json.Marshal(report); err != nil {
			return fmt.Errorf("store: drill report: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, `UPDATE drill_runs SET state = $2, report = $3, error = $4, finished_at = now(),
		phase = 'finished' WHERE id = $1 AND state = 'running'`, id, state, jsonArg(b), errText)
	if err != nil {
		return fmt.Errorf("store: finish drill: %w", err)
	}
	return nil
}

// DrillSilence is how long a running drill's runner may record no progress
// before another payops takes it for stopped (a runner records some every
// few seconds).
const DrillSilence = 2 * time.Minute

// InterruptDrillRuns marks interrupted, at a payops' start, the drills it
// was running itself (instance: its host and address) and any whose runner
// has recorded no progress for DrillSilence — not a drill another instance
// is running — and revokes their test tokens (a drill killed mid-run never
// revoked its own).
func (s *Store) InterruptDrillRuns(ctx context.Context, instance string) (int, error) {
	n := 0
	err := s.WithTx(ctx, func(q Querier) error {
		var err error
		n, err = interruptDrills(ctx, q, instance)
		return err
	})
	return n, err
}

// DrillTokenName is the name of the test token a drill makes for its own
// payouts and revokes when it ends (or a payops interrupting it does).
func DrillTokenName(runID int64) string { return "drill-run-" + strconv.FormatInt(runID, 10) }

func interruptDrills(ctx context.Context, q Querier, instance string) (int, error) {
	var ids []int64
	err := q.SelectContext(ctx, &ids, `UPDATE drill_runs SET state = 'interrupted', finished_at = now(),
			error = 'payops stopped while the drill ran'
		WHERE state = 'running' AND (($1 <> '' AND instance = $1) OR progress_at < now() - $2::interval)
		RETURNING id`, instance, DrillSilence.String())
	if err != nil {
		return 0, fmt.Errorf("store: interrupt drills: %w", err)
	}
	for _, id := range ids {
		if _, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now()
			WHERE name = $1 AND revoked_at IS NULL`, DrillTokenName(id)); err != nil {
			return 0, fmt.Errorf("store: drill %d's token: %w", id, err)
		}
	}
	return len(ids), nil
}

// DrillRuns lists the latest drills, newest first.
func (s *Store) DrillRuns(ctx context.Context, limit int) ([]DrillRun, error) {
	var out []DrillRun
	if err := s.db.SelectContext(ctx, &out, `SELECT `+drillColumns+` FROM drill_runs ORDER BY id DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("store: drills: %w", err)
	}
	return out, nil
}

// DrillRunByID returns one drill; ErrNotFound when there is none.
func (s *Store) DrillRunByID(ctx context.Context, id int64) (DrillRun, error) {
	var run DrillRun
	if err := s.db.GetContext(ctx, &run, `SELECT `+drillColumns+` FROM drill_runs WHERE id = $1`, id); err != nil {
		return DrillRun{}, fmt.Errorf("store: drill %d: %w", id, mapErr(err))
	}
	return run, nil
}
