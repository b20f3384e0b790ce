package store

import (
	"context"
	"fmt"

	"payops/payout"
)

// ClassOwner is who owns a failure class's "failed after sending" cases
// (migration 00064); a class without one goes to the kind's owner.
type ClassOwner struct {
	Class     payout.FailureClass `db:"class"`
	OwnerID   int64               `db:"owner_id"`
	OwnerName string              `db:"owner_name"`
}

// ClassOwners returns the failure classes that have an owner of their own.
func (s *Store) ClassOwners(ctx context.Context) (map[payout.FailureClass]ClassOwner, error) {
	var rows []ClassOwner
	if err := s.db.SelectContext(ctx, &rows, `SELECT f.class, f.owner_id, u.name AS owner_name
		FROM failure_class_owners f JOIN users u ON u.id = f.owner_id`); err != nil {
		return nil, fmt.Errorf("store: failure class owners: %w", err)
	}
	out := make(map[payout.FailureClass]ClassOwner, len(rows))
	for _, r := range rows {
		out[r.Class] = r
	}
	return out, nil
}

// ClassOwnersEverSet reports whether any failure class's owner was ever set
// or cleared (its audit entries), so the demo leaves an admin's choice alone.
func (s *Store) ClassOwnersEverSet(ctx context.Context) (bool, error) {
	var set bool
	err := s.db.GetContext(ctx, &set, `SELECT EXISTS (SELECT 1 FROM audit_log WHERE entity_type = 'exception_kind'
		AND entity_id LIKE $1)`, string(payout.CaseFailed)+":%")
	if err != nil {
		return false, fmt.Errorf("store: failure class owners set: %w", err)
	}
	return set, nil
}

// classOwnerSQL is the active owner of the failure class of a case
// (aliased w) when it is a failed payout's, else NULL.
const classOwnerSQL = `(SELECT u.id FROM failure_class_owners f JOIN users u ON u.id = f.owner_id AND u.disabled_at IS NULL
	WHERE w.kind = '` + string(payout.CaseFailed) + `' AND f.class = w.failure_class)`

// setClassOwners gives each failure class in owners its owner (nil: the
// kind's), inside q, each change audited; open failed cases of a class
// without an owner of their own, or with a stand-in, go to its new owner.
func setClassOwners(ctx context.Context, q Querier, owners map[payout.FailureClass]*int64, by Actor) error {
	for _, class := range payout.FailureClasses {
		owner, ok := owners[class]
		if !ok {
			continue
		}
		key := string(payout.CaseFailed) + ":" + string(class)
		if err := checkOwner(ctx, q, ownersOfCases, key, owner); err != nil {
			return err
		}
		var before *int64
		if err := q.GetContext(ctx, &before, `SELECT (SELECT owner_id FROM failure_class_owners WHERE class = $1)`,
			string(class)); err != nil {
			return fmt.Errorf("store: owner of failure class %s: %w", class, err)
		}
		if (before == nil) == (owner == nil) && (before == nil || *before == *owner) {
			continue
		}
		var err error
		if owner == nil {
			_, err = q.ExecContext(ctx, `DELETE FROM failure_class_owners WHERE class = $1`, string(class))
		} else {
			_, err = q.ExecContext(ctx, `INSERT INTO failure_class_owners (class, owner_id, updated_by) VALUES ($1, $2, $3)
				ON CONFLICT (class) DO UPDATE SET owner_id = EXCLUDED.owner_id, updated_by = EXCLUDED.updated_by,
					updated_at = now()`, string(class), *owner, by.Name)
		}
		if err != nil {
			return fmt.Errorf("store: owner of failure class %s: %w", class, err)
		}
		if err := audit(ctx, q, by.Name, "exception_kind.update", "exception_kind", key,
			map[string]any{"owner_id": owner, "class": class}); err != nil {
			return err
		}
		if err := ownUnownedClassCases(ctx, q, class, owner, by); err != nil {
			return err
		}
	}
	return nil
}

// ownUnownedClassCases gives a failure class's open failed cases that have
// no owner, or only a stand-in, to its owner (none: nothing), each audited.
func ownUnownedClassCases(ctx context.Context, q Querier, class payout.FailureClass, owner *int64, by Actor) error {
	return giveUnowned(ctx, q, payout.CaseFailed, class, owner, by,
		"open cases of the failure class without an owner of their own go to its owner")
}

// emptyClassSlots takes u off the failure classes they own, each audited:
// those classes' cases go to the kind's owner again.
func emptyClassSlots(ctx context.Context, q Querier, u User, by Actor, note string) (int, error) {
	var classes []string
	if err := q.SelectContext(ctx, &classes, `DELETE FROM failure_class_owners WHERE owner_id = $1 RETURNING class`,
		u.ID); err != nil {
		return 0, fmt.Errorf("store: failure classes of user %d: %w", u.ID, err)
	}
	for _, c := range classes {
		if err := audit(ctx, q, by.Name, "exception_kind.update", "exception_kind", string(payout.CaseFailed)+":"+c,
			map[string]any{"owner_id": nil, "class": c, "note": note}); err != nil {
			return 0, err
		}
	}
	return len(classes), nil
}

// routeToClassOwner gives open case id, just classified as class, to the
// class's owner when it has an active one and the case is still with whom
// routing gave it (nobody, a stand-in, the kind's owner or the unknown
// class's owner) and not escalated: a person's reassign stands. Audited.
func routeToClassOwner(ctx context.Context, q Querier, id int64, class payout.FailureClass) error {
	var to []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	err := q.SelectContext(ctx, &to, `
		WITH o AS (SELECT u.id, u.name FROM failure_class_owners f JOIN users u ON u.id = f.owner_id
			AND u.disabled_at IS NULL WHERE f.class = $2)
		UPDATE exception_cases w SET owner_id = o.id, owner_stands_in = false FROM o
		WHERE w.id = $1 AND w.state = 'open' AND w.escalated_at IS NULL AND w.owner_id IS DISTINCT FROM o.id
			AND (w.owner_id IS NULL OR w.owner_stands_in
				OR w.owner_id = (SELECT k.owner_id FROM exception_kinds k WHERE k.kind = w.kind)
				OR w.owner_id = (SELECT f.owner_id FROM failure_class_owners f WHERE f.class = $3))
		RETURNING o.id, o.name`, id, string(class), string(payout.FailUnknown))
	if err != nil || len(to) == 0 {
		return wrapNil(err, "store: route case to its class's owner: %w")
	}
	return audit(ctx, q, "system", "exception.reassign", "exception", fmt.Sprint(id), map[string]any{"to": to[0].Name,
		"note": "classified as " + class.Label() + ": it goes to that class's owner"})
}
