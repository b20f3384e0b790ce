package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditKind is what an audit entry is about, as the audit log's filter
// names it. Most kinds are an entity type; a hold is not: its actions are
// audited against its payout, with the hold's id in details.hold.
type AuditKind string

// The kinds of entity the audit log is filtered by.
const (
	AuditPayout     AuditKind = "payout"      // entity type payout, its holds' actions included
	AuditHold       AuditKind = "hold"        // hold.* actions, about a payout
	AuditRecon      AuditKind = "recon"       // a provider's business day, "provider/2006-01-02"
	AuditUser       AuditKind = "user"        // a dashboard user, by id
	AuditToken      AuditKind = "token"       // entity type api_token, by id
	AuditHoldReason AuditKind = "hold_reason" // a hold reason's owners and SLA
	AuditDrill      AuditKind = "drill"       // a failure drill, by id
	AuditException  AuditKind = "exception"   // an exception case, by id
	AuditCaseKind   AuditKind = "exception_kind"
	AuditMarket     AuditKind = "market"           // a market's launch document, "IN/default"
	AuditEndpoint   AuditKind = "webhook_endpoint" // a platform's webhook endpoint, by id
	AuditNotify     AuditKind = "notify"           // a notification's settings, by condition
)

// AuditKinds lists every kind, in the order the filter offers them: every
// entity type the log holds.
var AuditKinds = []AuditKind{AuditPayout, AuditHold, AuditRecon, AuditException, AuditMarket, AuditUser, AuditToken,
	AuditEndpoint, AuditHoldReason, AuditCaseKind, AuditNotify, AuditDrill}

// EntityType returns the audit_log entity type the kind's entries have.
func (k AuditKind) EntityType() string {
	switch k {
	case AuditHold:
		return "payout"
	case AuditToken:
		return "api_token"
	}
	return string(k)
}

// AuditQuery selects audit entries for the audit log page and its CSV.
// Zero fields select everything.
type AuditQuery struct {
	Actor    string    // a case-insensitive prefix of the actor's email, or of a user's name
	Action   string    // exactly
	Kind     AuditKind // what the entries are about
	EntityID string    // exactly: a hold's entries have its payout's reference
	From, To time.Time // at in [From, To); zero is open
	Before   int64     // only entries older than this id: the page after it
	Limit    int       // FindAudit's page size, 100 when zero; EachAudit's cap, none when zero
}

// where returns q's conditions on audit_log, adding their arguments to args.
func (q AuditQuery) where(args *[]any) string {
	conds := []string{"true"}
	add := func(format string, v any) {
		*args = append(*args, v)
		conds = append(conds, strings.ReplaceAll(format, "%s", "$"+strconv.Itoa(len(*args))))
	}
	if q.Actor != "" {
		// The actor is recorded as the user's email: a user's name (or its
		// start) finds their entries too, as the page's field promises.
		add(`(lower(actor) LIKE lower(%s) OR lower(actor) = ANY (ARRAY(
			SELECT lower(email) FROM users WHERE lower(name) LIKE lower(%s))))`, likeEscape(q.Actor)+"%")
	}
	if q.Action != "" {
		add("action = %s", q.Action)
	}
	if q.Kind != "" {
		add("entity_type = %s", q.Kind.EntityType())
	}
	if q.Kind == AuditHold {
		conds = append(conds, `action LIKE 'hold.%'`)
	}
	if q.EntityID != "" && q.Kind == "" {
		// Each entity type's entries of the id, through audit_log_entity.
		conds = append(conds, `entity_type = ANY(ARRAY(`+auditEntityTypes+`))`)
	}
	if q.EntityID != "" {
		add("entity_id = %s", q.EntityID)
	}
	if !q.From.IsZero() {
		add("at >= %s", q.From)
	}
	if !q.To.IsZero() {
		add("at < %s", q.To)
	}
	if q.Before > 0 {
		add("id < %s", q.Before)
	}
	return strings.Join(conds, " AND ")
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry
	Next    int64 // the Before of the next (older) page; 0 on the last page
}

// auditEntityTypes lists the entity types of the log, one probe of
// audit_log_entity each (a skip scan).
const auditEntityTypes = `WITH RECURSIVE t (entity_type) AS (
		(SELECT entity_type FROM audit_log ORDER BY entity_type LIMIT 1)
		UNION ALL
		SELECT (SELECT l.entity_type FROM audit_log l WHERE l.entity_type > t.entity_type ORDER BY l.entity_type LIMIT 1)
		FROM t WHERE t.entity_type IS NOT NULL
	)
	SELECT entity_type FROM t WHERE entity_type IS NOT NULL`

const auditColumns = `id, at, actor, action, entity_type, entity_id, details`

// FindAudit returns the page of q: up to q.Limit entries (100 when zero),
// newest first by id, older than q.Before.
func (s *Store) FindAudit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var args []any
	where := q.where(&args)
	args = append(args, limit+1)
	var out []AuditEntry
	err := s.reader().SelectContext(ctx, &out, `SELECT `+auditColumns+` FROM audit_log WHERE `+where+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("store: find audit entries: %w", err)
	}
	page := AuditPage{Entries: out}
	if len(out) > limit {
		page.Entries = out[:limit]
		page.Next = out[limit-1].ID
	}
	return page, nil
}

// EachAudit calls fn with every entry q selects, newest first, reading them
// as it goes so an export of the whole log never holds it in memory. It
// stops at fn's first error and returns it; a database failure part way is
// an error too, after fn has seen the entries before it.
func (s *Store) EachAudit(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error {
	var args []any
	query := `SELECT ` + auditColumns + ` FROM audit_log WHERE ` + q.where(&args) + ` ORDER BY id DESC`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rows, err := s.reader().QueryxContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: audit entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("store: audit entries: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: audit entries: %w", err)
	}
	return nil
}

// AuditActions returns the actions the audit log holds, in order: one
// index probe per distinct action (a skip scan of audit_log_by_action), not
// a read of the whole log.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	err := s.reader().SelectContext(ctx, &out, `
		WITH RECURSIVE a (action) AS (
			(SELECT action FROM audit_log ORDER BY action LIMIT 1)
			UNION ALL
			SELECT (SELECT l.action FROM audit_log l WHERE l.action > a.action ORDER BY l.action LIMIT 1)
			FROM a WHERE a.action IS NOT NULL
		)
		SELECT action FROM a WHERE action IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: audit actions: %w", err)
	}
	return out, nil
}
