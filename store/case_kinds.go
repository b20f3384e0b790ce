package store

import (
	"context"
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
// one transaction. Open cases keep their owner and due time.
func (s *Store) UpdateCaseKinds(ctx context.Context, by Actor, changes []CaseKindChange) error {
	return s.WithTx(ctx, func(q Querier) error {
		for _, c := range changes {
			if err := setOwners(ctx, q, ownersOfCases, string(c.Kind), c.OwnerID, c.NextOwnerID, c.SLAMinutes, by); err != nil {
				return err
			}
		}
		return nil
	})
}
