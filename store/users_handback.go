package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// HandedBack counts what a user gave back to its defaults: open holds,
// open exception cases, and the hold reasons and exception kinds whose
// owner or escalation owner they were (Slots).
type HandedBack struct{ Holds, Cases, Slots int }

// handBackWork gives the open holds and cases of u, being disabled in q's
// transaction, to their reason's or kind's default owner when that is an
// active user (an escalated one to the escalation owner first), else to
// nobody (the queue's "Unowned"), each audited; and empties the owner
// slots naming u, so the owners page shows the gap to fill rather than a
// name nobody answers to. Their due times stay: the work is as late as it
// was. A disabled user left as owner would be work nobody sees.
func handBackWork(ctx context.Context, q Querier, u User, by Actor) (HandedBack, error) {
	return handBack(ctx, q, u, by, fmt.Sprintf("%s was disabled: their open work goes to its default owner", u.Name),
		ownersOfHolds, ownersOfCases)
}

// handBackHolds gives back, as handBackWork does, the open holds and hold
// owner slots of u, whose role (changed in q's transaction) may not work
// holds: a hold with someone who cannot act on it is work nobody does.
func handBackHolds(ctx context.Context, q Querier, u User, by Actor) (HandedBack, error) {
	return handBack(ctx, q, u, by, fmt.Sprintf("%s is %s, a role that may not work holds: their open holds go to "+
		"their reason's default owner", u.Name, u.Role), ownersOfHolds)
}

// handBack gives u's open work and owner slots of the tables back to their
// defaults (handBackWork), with note.
func handBack(ctx context.Context, q Querier, u User, by Actor, note string, tables ...ownersTable) (HandedBack, error) {
	var hb HandedBack
	if slices.Contains(tables, ownersOfHolds) {
		var err error
		if hb.Holds, err = handBackHoldsOf(ctx, q, u, by, note); err != nil {
			return hb, err
		}
	}
	if slices.Contains(tables, ownersOfCases) {
		var err error
		if hb.Cases, err = handBackCasesOf(ctx, q, u, by, note); err != nil {
			return hb, err
		}
		n, err := emptyClassSlots(ctx, q, u, by, note)
		if err != nil {
			return hb, err
		}
		hb.Slots += n
	}
	for _, t := range tables {
		n, err := emptySlots(ctx, q, t, u, by, note)
		if err != nil {
			return hb, err
		}
		hb.Slots += n
	}
	return hb, nil
}

// handBackHoldsOf moves u's open holds to their defaults, audited.
func handBackHoldsOf(ctx context.Context, q Querier, u User, by Actor, note string) (int, error) {
	var holds []struct {
		ID     int64  `db:"id"`
		Entity string `db:"entity"` // payoutEntity
		To     string `db:"to_name"`
	}
	// Payouts first, then holds, in id order: the order every writer of
	// both takes (lockHold, EscalateOverdue); then the cases, in id order.
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM payouts WHERE id IN (SELECT payout_id FROM holds
			WHERE owner_id = $1 AND state = 'open') ORDER BY id FOR UPDATE`, u.ID); err != nil {
		return 0, fmt.Errorf("store: lock payouts of user %d's holds: %w", u.ID, err)
	}
	err := q.SelectContext(ctx, &holds, `
		WITH moved AS (
			UPDATE holds w SET owner_id = `+defaultOwnerSQL(ownersOfHolds)+`
			WHERE w.owner_id = $1 AND w.state = 'open' RETURNING w.id, w.payout_id, w.owner_id)
		SELECT m.id, `+payoutEntitySQL+` AS entity, coalesce(o.name, '') AS to_name
		FROM moved m JOIN payouts p ON p.id = m.payout_id LEFT JOIN users o ON o.id = m.owner_id ORDER BY m.id`, u.ID)
	if err != nil {
		return 0, fmt.Errorf("store: hand back holds of user %d: %w", u.ID, err)
	}
	for _, h := range holds {
		if err := audit(ctx, q, by.Name, "hold.reassign", "payout", h.Entity,
			map[string]any{"hold": h.ID, "from": u.Name, "to": h.To, "note": note}); err != nil {
			return 0, err
		}
	}
	return len(holds), nil
}

// handBackCasesOf moves u's open cases to their defaults, audited.
func handBackCasesOf(ctx context.Context, q Querier, u User, by Actor, note string) (int, error) {
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM exception_cases WHERE owner_id = $1 AND state = 'open'
			ORDER BY id FOR UPDATE`, u.ID); err != nil {
		return 0, fmt.Errorf("store: lock user %d's cases: %w", u.ID, err)
	}
	var cases []struct {
		ID int64  `db:"id"`
		To string `db:"to_name"`
	}
	err := q.SelectContext(ctx, &cases, `
		WITH moved AS (
			UPDATE exception_cases w SET owner_id = coalesce(CASE WHEN w.escalated_at IS NULL THEN `+classOwnerSQL+` END,
				`+defaultOwnerSQL(ownersOfCases)+`), owner_stands_in = false
			WHERE w.owner_id = $1 AND w.state = 'open' RETURNING w.id, w.owner_id)
		SELECT m.id, coalesce(o.name, '') AS to_name FROM moved m LEFT JOIN users o ON o.id = m.owner_id ORDER BY m.id`, u.ID)
	if err != nil {
		return 0, fmt.Errorf("store: hand back cases of user %d: %w", u.ID, err)
	}
	for _, c := range cases {
		if err := audit(ctx, q, by.Name, "exception.reassign", "exception", fmt.Sprint(c.ID),
			map[string]any{"from": u.Name, "to": c.To, "note": note}); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

// emptySlots empties the owner and escalation-owner slots of t naming u,
// each audited.
func emptySlots(ctx context.Context, q Querier, t ownersTable, u User, by Actor, note string) (int, error) {
	var rows []struct {
		Key   string `db:"key"`
		Owner *int64 `db:"owner_id"`
		Next  *int64 `db:"next_owner_id"`
		SLA   int    `db:"sla_minutes"`
	}
	err := q.SelectContext(ctx, &rows, `UPDATE `+t.table+` SET owner_id = nullif(owner_id, $1),
			next_owner_id = nullif(next_owner_id, $1), updated_by = $2, updated_at = now()
		WHERE owner_id = $1 OR next_owner_id = $1
		RETURNING `+t.key+` AS key, owner_id, next_owner_id, sla_minutes`, u.ID, by.Name)
	if err != nil {
		return 0, fmt.Errorf("store: owner slots of user %d in %s: %w", u.ID, t.table, err)
	}
	for _, r := range rows {
		if err := audit(ctx, q, by.Name, t.entity+".update", t.entity, r.Key, map[string]any{"owner_id": r.Owner,
			"next_owner_id": r.Next, "sla_minutes": r.SLA, "note": note}); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// defaultOwnerSQL is the owner a hold or case (aliased w) goes back to from
// a user who may no longer have it, by its reason's or kind's row of t: an
// escalated one to the escalation owner, else (or when that is nobody
// active whose role may work it) to the default owner, else nobody. The
// user handing back, disabled or of another role by now, is never one.
func defaultOwnerSQL(t ownersTable) string {
	active := `(SELECT u.id FROM users u WHERE u.id = k.%s AND u.disabled_at IS NULL AND u.role = ANY(` + t.rolesSQL() + `))`
	return `(SELECT coalesce(CASE WHEN w.escalated_at IS NOT NULL THEN ` + fmt.Sprintf(active, "next_owner_id") + ` END, ` +
		fmt.Sprintf(active, "owner_id") + `) FROM ` + t.table + ` k WHERE k.` + t.key + ` = w.` + t.key + `)`
}

// HandBackStranded gives back what users may no longer hold: open
// holds or cases, or an owner slot, of a disabled user, that came to them
// while they were being disabled (a reassign, an escalation or a new hold
// that read them active just before the disable committed, and wrote after
// its hand-back looked) or in any other way; and open holds or hold owner
// slots of a user whose role may not work holds (given before that rule,
// or racing a role change). The hold SLA job runs it every minute, so such
// work waits a minute at most rather than for ever with nobody who can act
// on it. Each user is handed back in a transaction of its own, their row
// locked as a disable locks it, audited as by. It returns what moved.
func (s *Store) HandBackStranded(ctx context.Context, by Actor) (HandedBack, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT u.id FROM users u WHERE (u.disabled_at IS NOT NULL AND (
			EXISTS (SELECT 1 FROM holds h WHERE h.owner_id = u.id AND h.state = 'open') OR
			EXISTS (SELECT 1 FROM exception_cases c WHERE c.owner_id = u.id AND c.state = 'open') OR
			EXISTS (SELECT 1 FROM hold_reasons r WHERE u.id IN (r.owner_id, r.next_owner_id)) OR
			EXISTS (SELECT 1 FROM exception_kinds k WHERE u.id IN (k.owner_id, k.next_owner_id)) OR
			EXISTS (SELECT 1 FROM failure_class_owners f WHERE f.owner_id = u.id)))
		OR (NOT u.role = ANY(`+ownersOfHolds.rolesSQL()+`) AND (
			EXISTS (SELECT 1 FROM holds h WHERE h.owner_id = u.id AND h.state = 'open') OR
			EXISTS (SELECT 1 FROM hold_reasons r WHERE u.id IN (r.owner_id, r.next_owner_id))))
		ORDER BY u.id`)
	if err != nil {
		return HandedBack{}, fmt.Errorf("store: users holding work they may not: %w", err)
	}
	var all HandedBack
	var errs []error
	for _, id := range ids {
		var hb HandedBack
		err := s.WithTx(ctx, func(q Querier) error {
			var u User
			err := q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR NO KEY UPDATE`, id)
			if err != nil {
				return fmt.Errorf("store: user %d: %w", id, err)
			}
			switch {
			case u.DisabledAt != nil:
				hb, err = handBackWork(ctx, q, u, by)
			case !ownersOfHolds.mayOwn(u.Role):
				hb, err = handBackHolds(ctx, q, u, by)
			}
			return err // enabled again, or given a role that may, meanwhile: theirs to keep
		})
		if err != nil {
			// That user's work waits for the next run; the others' goes now.
			errs = append(errs, err)
			continue
		}
		all.Holds, all.Cases, all.Slots = all.Holds+hb.Holds, all.Cases+hb.Cases, all.Slots+hb.Slots
	}
	return all, errors.Join(errs...)
}
