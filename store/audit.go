package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID         int64           `db:"id"`
	At         time.Time       `db:"at"`
	Actor      string          `db:"actor"`
	Action     string          `db:"action"`
	EntityType string          `db:"entity_type"`
	EntityID   string          `db:"entity_id"`
	Details    json.RawMessage `db:"details"`
}

// audit appends an entry inside q, the caller's transaction.
func audit(ctx context.Context, q Querier, actor, action, entityType, entityID string, details any) error {
	var r rows
	if err := r.audit(actor, action, entityType, entityID, details); err != nil {
		return err
	}
	if _, err := r.write(ctx, q); err != nil {
		return fmt.Errorf("store: audit %s %s: %w", action, entityID, err)
	}
	return nil
}

// Audit appends an entry outside any other change, such as a sign-in.
func (s *Store) Audit(ctx context.Context, actor, action, entityType, entityID string, details any) error {
	return audit(ctx, s.db, actor, action, entityType, entityID, details)
}

// payoutEntity is a payout's entity id in the audit log: its reference,
// marked for a test payout — a reference is unique per mode (migration
// 00056), and a live payout's history is not to show a test payout's
// entries under the same reference. The audit page shows the id as it is.
func payoutEntity(ref string, live bool) string {
	if live {
		return ref
	}
	return ref + testEntityMark
}

// testEntityMark ends a test payout's entity id in the audit log.
const testEntityMark = " (test)"

// payoutEntitySQL is payoutEntity of payouts p, in SQL.
const payoutEntitySQL = `CASE WHEN p.livemode THEN p.reference_id ELSE p.reference_id || '` + testEntityMark + `' END`

// PayoutOfEntity returns the reference and the mode of the payout an audit
// entry's entity id names (payoutEntity's inverse), for the link to its
// page; a bare reference is read as live (entries from before migration
// 00056 were under it whatever the mode: the link opens the live payout
// first, the test one when the reference has none).
func PayoutOfEntity(id string) (ref string, live bool) {
	ref, test := strings.CutSuffix(id, testEntityMark)
	return ref, !test
}

// PayoutAudit returns the audit entries about payout p, oldest first. The
// entries written before references were unique per mode (migration 00056)
// are under the bare reference, whichever the mode: they are the entries of
// the reference's older payout, the one that had it then.
func (s *Store) PayoutAudit(ctx context.Context, p Payout) ([]AuditEntry, error) {
	var out []AuditEntry
	err := selectFast(ctx, s.q(), &out, `WITH m AS (SELECT from_id FROM audit_entities_per_mode)
		SELECT id, at, actor, action, entity_type, entity_id, details
		FROM audit_log WHERE entity_type = 'payout' AND (
			(entity_id = $1 AND id >= (SELECT from_id FROM m))
			OR (entity_id = $2 AND id < (SELECT from_id FROM m)
				AND NOT EXISTS (SELECT 1 FROM payouts o WHERE o.reference_id = $2 AND o.id < $3)))
		ORDER BY id`, payoutEntity(p.ReferenceID, p.Livemode), p.ReferenceID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("store: audit of payout %s: %w", p.ReferenceID, err)
	}
	return out, nil
}

// AuditFor returns the entries about one entity, oldest first.
func (s *Store) AuditFor(ctx context.Context, entityType, entityID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := selectFast(ctx, s.q(), &out, `
		SELECT id, at, actor, action, entity_type, entity_id, details
		FROM audit_log WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`, entityType, entityID)
	if err != nil {
		return nil, fmt.Errorf("store: audit for %s %s: %w", entityType, entityID, err)
	}
	return out, nil
}
