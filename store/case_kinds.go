package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// CaseKindConfig is an exception kind's configuration: who owns its cases,
// who they escalate to, and its SLA.
type CaseKindConfig struct {
	Kind          payout.CaseKind `db:"kind"`
	Label         string          `db:"label"`
	OwnerID       *int64          `db:"owner_id"`
	OwnerName     string          `db:"owner_name"`
	NextOwnerID   *int64          `db:"next_owner_id"`
	NextOwnerName string          `db:"next_owner_name"`
	SLAMinutes    int             `db:"sla_minutes"`
	UpdatedBy     string          `db:"updated_by"`
	UpdatedAt     time.Time       `db:"updated_at"`
}

// CaseKinds returns every exception kind's configuration in page order.
func (s *Store) CaseKinds(ctx context.Context) ([]CaseKindConfig, error) {
	var out []CaseKindConfig
	err := s.ownersOf(ctx, ownersOfCases, &out)
	return out, err
}

// CaseKindChange is a new configuration of one exception kind.
type CaseKindChange struct {
	Kind        payout.CaseKind
	OwnerID     *int64
	NextOwnerID *int64
	SLAMinutes  int
}

// UpdateCaseKinds sets kinds' owners, escalation owners and SLAs, all in
// one transaction. Open cases keep their owner and due time; those with
// none go to the kind's new owner (ownUnownedCases).
//
// classes gives failure classes their owner of a failed payout's case (nil:
// the kind's); a class it leaves out keeps its owner. Set first, so a
// failed case without an owner goes to its class's owner before the kind's.
func (s *Store) UpdateCaseKinds(ctx context.Context, by Actor, changes []CaseKindChange,
	classes map[payout.FailureClass]*int64) error {
	return s.WithTx(ctx, func(q Querier) error {
		if err := setClassOwners(ctx, q, classes, by); err != nil {
			return err
		}
		for _, c := range changes {
			if err := setOwners(ctx, q, ownersOfCases, string(c.Kind), c.OwnerID, c.NextOwnerID, c.SLAMinutes, by); err != nil {
				return err
			}
			if err := ownUnownedCases(ctx, q, c.Kind, c.OwnerID, by); err != nil {
				return err
			}
		}
		return nil
	})
}

// ownUnownedCases gives a kind's open cases that have no owner, or only a
// stand-in (routeCase: opened before the kind had one), to its new owner,
// each audited: open cases with an owner of their own keep theirs.
func ownUnownedCases(ctx context.Context, q Querier, kind payout.CaseKind, owner *int64, by Actor) error {
	return giveUnowned(ctx, q, kind, "", owner, by, "the kind's owner was set: open cases without an owner of their own go to them")
}

// giveUnowned gives the open cases of kind (of failure class class, or of
// any when "") that have no owner, or only a stand-in, to owner (none:
// nothing), each audited with note.
func giveUnowned(ctx context.Context, q Querier, kind payout.CaseKind, class payout.FailureClass, owner *int64, by Actor,
	note string) error {
	if owner == nil {
		return nil
	}
	var ids []int64
	err := q.SelectContext(ctx, &ids, `UPDATE exception_cases SET owner_id = $2, owner_stands_in = false
		WHERE kind = $1 AND ($3 = '' OR failure_class = $3) AND state = 'open' AND (owner_id IS NULL OR owner_stands_in)
		RETURNING id`, kind, *owner, string(class))
	if err != nil {
		return fmt.Errorf("store: unowned %s cases: %w", kind, err)
	}
	for _, id := range ids {
		if err := audit(ctx, q, by.Name, "exception.reassign", "exception", fmt.Sprint(id),
			map[string]any{"owner_id": *owner, "note": note}); err != nil {
			return err
		}
	}
	return nil
}
