package store

import (
	"context"
	"errors"
	"fmt"

	"payops/payout"
)

// routeCase gives open case id, when it has no owner (its kind has none, or
// its owner was disabled and the kind names nobody active), a stand-in, so
// that every failure after sending reaches a person: for a payout's case the
// owner its market's launch document names (payout.Owners.CaseStandIn), else
// the first active user of the kind's stand-in role (payout.CaseKind.
// StandInRole: finance for a reconciliation difference), else the first
// active admin. The stand-in is marked (owner_stands_in): the
// kind's owner, once set, takes the case over. A case that has an owner is
// left alone; with no active admin at all the case stays unowned.
func routeCase(ctx context.Context, q Querier, id int64) error {
	var c struct {
		PayoutID *int64          `db:"payout_id"`
		Kind     payout.CaseKind `db:"kind"`
	}
	err := q.GetContext(ctx, &c, `SELECT payout_id, kind FROM exception_cases WHERE id = $1 AND state = 'open'
		AND owner_id IS NULL FOR UPDATE`, id)
	if errors.Is(err, errNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: case %d to route: %w", id, err)
	}
	role := c.Kind.StandInRole()
	email, why := "", "its kind has no owner: the first active "+string(role)+" user stands in"
	if c.PayoutID != nil {
		owners, err := ownersOfPayout(ctx, q, *c.PayoutID)
		if err != nil {
			return err
		}
		email = owners.CaseStandIn(c.Kind)
	}
	var owner struct {
		ID   *int64 `db:"id"`
		Name string `db:"name"`
		Doc  bool   `db:"doc"`
		Role string `db:"role"`
	}
	err = q.GetContext(ctx, &owner, `SELECT u.id, u.name, u.role, lower(u.email) = lower($1) AS doc FROM users u
		WHERE u.disabled_at IS NULL AND (($1 <> '' AND lower(u.email) = lower($1)) OR u.role IN ($2, 'admin'))
		ORDER BY lower(u.email) = lower($1) DESC, u.role = $2 DESC, u.id LIMIT 1`, email, string(role))
	if errors.Is(err, errNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: stand-in owner of case %d: %w", id, err)
	}
	switch {
	case owner.Doc:
		why = "its kind has no owner: the payout support owner of the payout's launch document stands in"
	case owner.Role != string(role):
		why = "its kind has no owner and no " + string(role) + " user is active: the first active admin stands in"
	}
	if _, err := q.ExecContext(ctx, `UPDATE exception_cases SET owner_id = $2, owner_stands_in = true WHERE id = $1`,
		id, *owner.ID); err != nil {
		return fmt.Errorf("store: route case %d: %w", id, err)
	}
	return audit(ctx, q, "system", "exception.reassign", "exception", fmt.Sprint(id),
		map[string]any{"to": owner.Name, "note": why})
}

// routeOwnerlessCases gives every open case without an owner a stand-in
// (routeCase), each in a transaction of its own: cases opened before stand-
// ins, and those a disabled owner handed back to nobody. First it gives
// its kind's owner, as saving the owner does (ownUnownedCases), each case
// that has none or a stand-in though the kind has an owner now (a case
// opened as an admin saved the owner, which that save did not see).
func (s *Store) routeOwnerlessCases(ctx context.Context) error {
	err := s.WithTx(ctx, func(q Querier) error {
		// A failed case's class owner first, as OpenCase routes.
		var classes []struct {
			Class payout.FailureClass `db:"class"`
			Owner int64               `db:"owner_id"`
		}
		err := q.SelectContext(ctx, &classes, `SELECT f.class, f.owner_id FROM failure_class_owners f
			JOIN users u ON u.id = f.owner_id AND u.disabled_at IS NULL
			WHERE EXISTS (SELECT 1 FROM exception_cases c WHERE c.kind = '`+string(payout.CaseFailed)+`'
			              AND c.failure_class = f.class AND c.state = 'open' AND (c.owner_id IS NULL OR c.owner_stands_in))`)
		if err != nil {
			return fmt.Errorf("store: failure classes with cases for their owners: %w", err)
		}
		for _, c := range classes {
			if err := ownUnownedClassCases(ctx, q, c.Class, &c.Owner, Actor{Name: "system"}); err != nil {
				return err
			}
		}
		var kinds []struct {
			Kind  payout.CaseKind `db:"kind"`
			Owner int64           `db:"owner_id"`
		}
		err = q.SelectContext(ctx, &kinds, `SELECT k.kind, k.owner_id FROM exception_kinds k
			JOIN users u ON u.id = k.owner_id AND u.disabled_at IS NULL
			WHERE EXISTS (SELECT 1 FROM exception_cases c WHERE c.kind = k.kind AND c.state = 'open'
			              AND (c.owner_id IS NULL OR c.owner_stands_in))`)
		if err != nil {
			return fmt.Errorf("store: kinds with cases for their owners: %w", err)
		}
		for _, k := range kinds {
			if err := ownUnownedCases(ctx, q, k.Kind, &k.Owner, Actor{Name: "system"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM exception_cases WHERE state = 'open' AND owner_id IS NULL
		ORDER BY id`); err != nil {
		return fmt.Errorf("store: ownerless cases: %w", err)
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.WithTx(ctx, func(q Querier) error { return routeCase(ctx, q, id) }))
	}
	return errors.Join(errs...)
}
