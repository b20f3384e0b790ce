package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// HoldReason is a hold reason's configuration.
type HoldReason struct {
	Reason        payout.Reason `db:"reason"`
	Label         string        `db:"label"`
	OwnerID       *int64        `db:"owner_id"`
	OwnerName     string        `db:"owner_name"`
	NextOwnerID   *int64        `db:"next_owner_id"`
	NextOwnerName string        `db:"next_owner_name"`
	SLAMinutes    int           `db:"sla_minutes"`
	UpdatedBy     string        `db:"updated_by"`
	UpdatedAt     time.Time     `db:"updated_at"`
}

// HoldReasons returns every hold reason's configuration in page order.
func (s *Store) HoldReasons(ctx context.Context) ([]HoldReason, error) {
	var out []HoldReason
	err := s.ownersOf(ctx, ownersOfHolds, &out)
	return out, err
}

// HoldReasonChange is a new configuration of one hold reason.
type HoldReasonChange struct {
	Reason      payout.Reason
	OwnerID     *int64
	NextOwnerID *int64
	SLAMinutes  int
}

// UpdateHoldReasons sets reasons' default owners, escalation owners and
// SLAs, all in one transaction. Open holds keep their owner and due time.
func (s *Store) UpdateHoldReasons(ctx context.Context, by Actor, changes []HoldReasonChange) error {
	return s.WithTx(ctx, func(q Querier) error {
		for _, c := range changes {
			if err := setOwners(ctx, q, ownersOfHolds, string(c.Reason), c.OwnerID, c.NextOwnerID, c.SLAMinutes, by); err != nil {
				return err
			}
		}
		return nil
	})
}

// ownersTable is a table of owners, escalation owners and SLAs by key: the
// hold reasons, the exception kinds.
type ownersTable struct {
	table, key, what, entity string
	may                      payout.Action // what an owner's role must allow: work the holds, the cases
}

var (
	ownersOfHolds = ownersTable{table: "hold_reasons", key: "reason", what: "holds", entity: "hold_reason",
		may: payout.ActWorkHolds}
	ownersOfCases = ownersTable{table: "exception_kinds", key: "kind", what: "cases", entity: "exception_kind",
		may: payout.ActWorkExceptions}
)

// mayWorkHolds is true for a user (aliased u) whose role may own holds.
var mayWorkHolds = `u.role = ANY(` + ownersOfHolds.rolesSQL() + `)`

// rolesSQL is the roles that may own t's work, as an SQL text array.
func (t ownersTable) rolesSQL() string {
	return `'{` + strings.Join(payout.RoleNames(t.may), ",") + `}'::text[]`
}

// mayOwn reports whether a user of role may own t's work.
func (t ownersTable) mayOwn(role payout.Role) bool { return role.Can(t.may) }

// refuseOwner says why a user of role, named name, may not own t's work,
// or nil when they may.
func (t ownersTable) refuseOwner(name string, role payout.Role) error {
	if t.mayOwn(role) {
		return nil
	}
	return Refused("%s is %s, and only %s may %s: choose one of them", name, role, payout.RolesWhoMay(t.may),
		t.may.Label())
}

// ownersOf reads an owners table's rows, with the owners' names, in page
// order, into dest (a slice of structs whose key field is tagged as t.key).
func (s *Store) ownersOf(ctx context.Context, t ownersTable, dest any) error {
	err := s.db.SelectContext(ctx, dest, `
		SELECT k.`+t.key+`, k.label, k.owner_id, coalesce(o.name, '') AS owner_name, k.next_owner_id,
			coalesce(n.name, '') AS next_owner_name, k.sla_minutes, k.updated_by, k.updated_at
		FROM `+t.table+` k LEFT JOIN users o ON o.id = k.owner_id LEFT JOIN users n ON n.id = k.next_owner_id
		ORDER BY k.position`)
	if err != nil {
		return fmt.Errorf("store: %s: %w", t.table, err)
	}
	return nil
}

// setOwners sets one row of an owners table inside q, audited.
func setOwners(ctx context.Context, q Querier, t ownersTable, key string, owner, next *int64, sla int, by Actor) error {
	if sla <= 0 {
		return Refused("the SLA must be a positive number of hours")
	}
	for _, id := range []*int64{owner, next} {
		if err := checkOwner(ctx, q, t, key, id); err != nil {
			return err
		}
	}
	res, err := q.ExecContext(ctx, `UPDATE `+t.table+` SET owner_id = $2, next_owner_id = $3, sla_minutes = $4,
		updated_by = $5, updated_at = now() WHERE `+t.key+` = $1`, key, owner, next, sla, by.Name)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23503" {
		return Refused("there is no such user to own %q %s", key, t.what)
	}
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", t.entity, key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s %s: %w", t.entity, key, ErrNotFound)
	}
	return audit(ctx, q, by.Name, t.entity+".update", t.entity, key,
		map[string]any{"owner_id": owner, "next_owner_id": next, "sla_minutes": sla})
}

// checkOwner refuses user id (none when nil) as an owner of key's work in
// t: a user who does not exist, is disabled, or whose role may not do it.
func checkOwner(ctx context.Context, q Querier, t ownersTable, key string, id *int64) error {
	if id == nil {
		return nil
	}
	var u struct {
		Disabled bool        `db:"disabled"`
		Name     string      `db:"name"`
		Role     payout.Role `db:"role"`
	}
	err := q.GetContext(ctx, &u, `SELECT disabled_at IS NOT NULL AS disabled, name, role FROM users WHERE id = $1`, *id)
	if errors.Is(err, errNoRows) {
		return Refused("there is no such user to own %q %s", key, t.what)
	}
	if err != nil {
		return fmt.Errorf("store: owner of %s %s: %w", t.entity, key, err)
	}
	if u.Disabled {
		return Refused("user #%d is disabled: choose an active user to own %q %s", *id, key, t.what)
	}
	return t.refuseOwner(u.Name, u.Role)
}

// HoldByID returns one hold, or ErrNotFound.
func (s *Store) HoldByID(ctx context.Context, id int64) (Hold, error) {
	var h Hold
	if err := s.db.GetContext(ctx, &h, holdSelect+`WHERE h.id = $1`, id); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", id, mapErr(err))
	}
	return h, nil
}
