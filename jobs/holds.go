package jobs

import (
	"context"
	"log/slog"
	"time"
)

// EscalateStore is what the hold SLA job needs of the store.
type EscalateStore interface {
	EscalateOverdue(ctx context.Context, now time.Time) (int, error)
}

// HoldEscalator marks holds past their SLA as escalated and hands them to
// their reason's next owner; the holds page lists them first.
type HoldEscalator struct {
	Store EscalateStore
	Log   *slog.Logger
}

// RunOnce escalates every hold overdue now and returns how many.
func (e *HoldEscalator) RunOnce(ctx context.Context) (int, error) {
	n, err := e.Store.EscalateOverdue(ctx, time.Now())
	if err != nil {
		return 0, err
	}
	if n > 0 {
		e.Log.Info("holds past their SLA escalated", "count", n)
	}
	return n, nil
}
