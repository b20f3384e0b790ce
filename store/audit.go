package store

import (
	"context"
	"encoding/json"
	"fmt"
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
	var b batch
	if err := auditPart(&b, actor, action, entityType, entityID, details); err != nil {
		return err
	}
	if err := b.exec(ctx, q); err != nil {
		return fmt.Errorf("store: audit %s %s: %w", action, entityID, err)
	}
	return nil
}

// auditPart adds an audit entry to b.
func auditPart(b *batch, actor, action, entityType, entityID string, details any) error {
	d, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("store: audit details: %w", err)
	}
	b.add("", `INSERT INTO audit_log (actor, action, entity_type, entity_id, details) VALUES (`+
		b.params(actor, action, entityType, entityID, jsonArg(d))+`)`)
	return nil
}

// Audit appends an entry outside any other change, such as a sign-in.
func (s *Store) Audit(ctx context.Context, actor, action, entityType, entityID string, details any) error {
	return audit(ctx, s.db, actor, action, entityType, entityID, details)
}

// AuditFor returns the entries about one entity, oldest first.
func (s *Store) AuditFor(ctx context.Context, entityType, entityID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.SelectContext(ctx, &out, `
		SELECT id, at, actor, action, entity_type, entity_id, details
		FROM audit_log WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`, entityType, entityID)
	if err != nil {
		return nil, fmt.Errorf("store: audit for %s %s: %w", entityType, entityID, err)
	}
	return out, nil
}
