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
	err := s.db.SelectContext(ctx, &out, `
		SELECT k.kind, k.label, k.owner_id, coalesce(o.name, '') AS owner_name, k.next_owner_id,
			coalesce(n.name, '') AS next_owner_name, k.sla_minutes, k.updated_by, k.updated_at
		FROM exception_kinds k LEFT JOIN users o ON o.id = k.owner_id LEFT JOIN users n ON n.id = k.next_owner_id
		ORDER BY k.position`)
	if err != nil {
		return nil, fmt.Errorf("store: exception kinds: %w", err)
	}
	return out, nil
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
