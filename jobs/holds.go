package jobs

import (
	"context"
	"log/slog"
	"time"

	"payops/store"
)

// EscalateStore is what the hold SLA job needs of the store.
type EscalateStore interface {
	EscalateOverdue(ctx context.Context, now time.Time) (int, error)
	HandBackStranded(ctx context.Context, by store.Actor) (store.HandedBack, error)
}

// HoldEscalator marks holds past their SLA as escalated and hands them to
// their reason's next owner; the holds page lists them first. It also gives
// back work a disabled user still holds (what came to them as they were
// disabled), and holds with a user whose role may not work them
// (store.HandBackStranded).
type HoldEscalator struct {
	Store EscalateStore
	Log   *slog.Logger
}

// RunOnce escalates every hold overdue now, gives back what users may no
// longer hold, and returns how many holds, cases and owner slots changed.
func (e *HoldEscalator) RunOnce(ctx context.Context) (int, error) {
	n, err := e.Store.EscalateOverdue(ctx, time.Now())
	if err != nil {
		return 0, err
	}
	if n > 0 {
		e.Log.Info("holds past their SLA escalated", "count", n)
	}
	hb, err := e.Store.HandBackStranded(ctx, store.Actor{Name: HandBack})
	if moved := hb.Holds + hb.Cases + hb.Slots; moved > 0 {
		e.Log.Warn("work a user may no longer hold was given back", "holds", hb.Holds, "cases", hb.Cases,
			"owner_slots", hb.Slots)
		n += moved
	}
	return n, err
}

// HandBack is the audit log's actor of the hand-back HoldEscalator does.
const HandBack = "hand-back"
