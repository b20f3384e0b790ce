package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// rows is the history a change writes: payouts as apply decided them, ledger
// postings with their entries, payout events, audit entries and webhook
// deliveries, of one payout or of many. write sends them in one statement,
// each table's rows as arrays in one part of one WITH (a batch), so that
// apply costs one round trip whether it writes for one webhook or for a
// group of them (ingestGroup), and the statement's text depends only on
// which tables get rows: prepared once per connection, not once per size.
type rows struct {
	saves      []saved
	postings   []postingRow
	entries    []entryRow
	events     []eventRow
	audits     []auditRow
	deliveries []deliveryRow
}

type postingRow struct {
	payoutID  int64
	kind      string
	createdAt time.Time // the ledger's partition key (00040)
}

type entryRow struct {
	payoutID                 int64
	kind, account, direction string
	amount                   int64
	currency                 string
}

type eventRow struct {
	payoutID                                       int64
	source, rawStatus, status, previous, decision  string
	detail, utr, failureCode, failureReason, actor string
	at                                             time.Time
	deliveryID                                     *int64
}

type auditRow struct {
	actor, action, entityType, entityID string
	details                             string // JSON
}

type deliveryRow struct {
	id int64 // 0: a new id from the sequence
	d  Delivery
	h  string // the headers as JSON
}

// save adds what apply decided for a payout.
func (r *rows) save(v saved) { r.saves = append(r.saves, v) }

// post adds the postings ps of payout p with their entries, in order: each
// is written unless one of its kind exists for the payout already (the
// ledger is partitioned by the month its payout was created in, migration
// 00040, a value of payout_id alone, so the unique key that includes it
// still posts each kind once). A posting that does not balance is refused.
func (r *rows) post(p ledgerPayout, ps []posting) error {
	for _, po := range ps {
		var balance int64
		for _, e := range po.entries {
			if e.direction == "debit" {
				balance += e.amount
			} else {
				balance -= e.amount
			}
			r.entries = append(r.entries, entryRow{payoutID: p.ID, kind: po.kind, account: e.account,
				direction: e.direction, amount: e.amount, currency: p.Amount.Currency})
		}
		if balance != 0 {
			return fmt.Errorf("store: %s posting for payout %d does not balance", po.kind, p.ID)
		}
		r.postings = append(r.postings, postingRow{payoutID: p.ID, kind: po.kind, createdAt: p.CreatedAt})
	}
	return nil
}

// event adds the event row of an observation of payout payoutID.
func (r *rows) event(payoutID int64, obs payout.Observation, previous payout.Status, decision, detail string, deliveryID *int64) {
	at := obs.At
	if at.IsZero() {
		at = time.Now()
	}
	r.events = append(r.events, eventRow{payoutID: payoutID, source: string(obs.Source), rawStatus: obs.RawStatus,
		status: string(obs.Status), previous: string(previous), decision: decision, detail: detail, utr: obs.UTR,
		failureCode: obs.FailureCode, failureReason: obs.FailureReason, actor: actorOf(obs), at: at, deliveryID: deliveryID})
}

// audit adds an audit entry.
func (r *rows) audit(actor, action, entityType, entityID string, details any) error {
	d, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("store: audit details: %w", err)
	}
	r.audits = append(r.audits, auditRow{actor: actor, action: action, entityType: entityType, entityID: entityID,
		details: string(d)})
	return nil
}

// delivery adds the row of webhook delivery d, whole with its outcome: with
// id when it is not 0 (taken before by intake). BodyLength is len(Body)
// when zero.
func (r *rows) delivery(id int64, d Delivery) error {
	h, err := json.Marshal(d.Headers)
	if err != nil {
		return err
	}
	if d.Body == nil {
		d.Body = []byte{} // a delivery whose body was not kept
	}
	if d.BodyLength == 0 {
		d.BodyLength = int64(len(d.Body))
	}
	r.deliveries = append(r.deliveries, deliveryRow{id: id, d: d, h: string(h)})
	return nil
}

// written is what write's statement answered.
type written struct {
	Subscribed pq.Int64Array `db:"subscribed"` // the payouts saved whose outbound event an endpoint subscribes to
	Delivery   sql.NullInt64 `db:"delivery"`   // the id of the last delivery row
}

// subscribes reports whether the outbound event of payout id's save has a
// subscriber.
func (w written) subscribes(id int64) bool {
	for _, s := range w.Subscribed {
		if s == id {
			return true
		}
	}
	return false
}

// write writes r in q, in one statement.
func (r *rows) write(ctx context.Context, q Querier) (written, error) {
	var b batch
	var result []string
	if len(r.saves) > 0 {
		r.savesPart(&b)
		result = append(result, `(SELECT array_agg(id) FROM saved WHERE subscribed) AS subscribed`)
	}
	if len(r.postings) > 0 {
		r.postingsPart(&b)
	}
	if len(r.events) > 0 {
		r.eventsPart(&b)
	}
	if len(r.audits) > 0 {
		r.auditsPart(&b)
	}
	if len(r.deliveries) > 0 {
		r.deliveriesPart(&b)
		result = append(result, `(SELECT max(id) FROM delivery) AS delivery`)
	}
	var w written
	if len(b.parts) == 0 {
		return w, nil
	}
	if len(result) == 0 {
		return w, b.exec(ctx, q)
	}
	return w, b.get(ctx, q, &w, "SELECT "+strings.Join(result, ", "))
}

func (r *rows) savesPart(b *batch) {
	n := len(r.saves)
	ids, status, utr, code, reason := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	fee, ppid := make([]sql.NullInt64, n), make([]sql.NullString, n)
	changed, checked, answered, pending := make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
	state, stateReason, event := make([]string, n), make([]string, n), make([]string, n)
	for i, v := range r.saves {
		ids[i], status[i], utr[i], code[i], reason[i] = v.id, string(v.status), v.utr, v.code, v.reason
		if v.fee != nil {
			fee[i] = sql.NullInt64{Int64: *v.fee, Valid: true}
		}
		if v.ppid != nil {
			ppid[i] = sql.NullString{String: *v.ppid, Valid: true}
		}
		changed[i], checked[i], answered[i], pending[i] = v.changed, v.checked, v.answered, v.pending
		state[i], stateReason[i], event[i] = v.state, v.stateReason, v.event
	}
	b.add("saved", `UPDATE payouts p SET status = u.status, utr = u.utr, failure_code = u.code, failure_reason = u.reason,
			fee_minor = u.fee, provider_payout_id = u.ppid,
			updated_at = CASE WHEN u.changed THEN now() ELSE p.updated_at END,
			last_checked_at = CASE WHEN u.checked THEN now() ELSE p.last_checked_at END,
			last_answered_at = CASE WHEN u.checked THEN now() ELSE p.last_answered_at END,
			submitted_at = CASE WHEN u.answered THEN coalesce(p.submitted_at, now()) ELSE p.submitted_at END,
			provider_state = u.state, provider_state_reason = u.state_reason, pending_approval = u.pending
		FROM unnest(`+b.array(pq.Array(ids), "bigint")+`, `+b.array(pq.Array(status), "text")+`, `+
		b.array(pq.Array(utr), "text")+`, `+b.array(pq.Array(code), "text")+`, `+b.array(pq.Array(reason), "text")+`, `+
		b.array(pq.Array(fee), "bigint")+`, `+b.array(pq.Array(ppid), "text")+`, `+b.array(pq.Array(changed), "boolean")+`, `+
		b.array(pq.Array(checked), "boolean")+`, `+b.array(pq.Array(answered), "boolean")+`, `+
		b.array(pq.Array(state), "text")+`, `+b.array(pq.Array(stateReason), "text")+`, `+
		b.array(pq.Array(pending), "boolean")+`, `+b.array(pq.Array(event), "text")+`)
			AS u(id, status, utr, code, reason, fee, ppid, changed, checked, answered, state, state_reason, pending, event)
		WHERE p.id = ANY (`+b.array(pq.Array(ids), "bigint")+`::bigint[]) AND p.id = u.id
		RETURNING p.id, u.event <> '' AND EXISTS (SELECT 1 FROM webhook_endpoints
			WHERE cardinality(events) = 0 OR u.event = ANY (events)) AS subscribed`)
}

func (r *rows) postingsPart(b *batch) {
	n := len(r.postings)
	pids, kinds, created := make([]int64, n), make([]string, n), make([]time.Time, n)
	for i, p := range r.postings {
		pids[i], kinds[i], created[i] = p.payoutID, p.kind, p.createdAt
	}
	b.add("postings", `INSERT INTO ledger_postings (payout_id, kind, payout_created_at)
		SELECT x.payout_id, x.kind, x.created FROM unnest(`+b.array(pq.Array(pids), "bigint")+`, `+
		b.array(pq.Array(kinds), "text")+`, `+b.array(pq.Array(created), "timestamptz")+`)
			WITH ORDINALITY AS x(payout_id, kind, created, n) ORDER BY x.n
		ON CONFLICT (payout_id, kind, payout_created_at) DO NOTHING RETURNING id, payout_id, kind, payout_created_at`)
	m := len(r.entries)
	epids, ekinds, accounts, directions, amounts, currencies := make([]int64, m), make([]string, m), make([]string, m),
		make([]string, m), make([]int64, m), make([]string, m)
	for i, e := range r.entries {
		epids[i], ekinds[i], accounts[i], directions[i], amounts[i], currencies[i] = e.payoutID, e.kind, e.account,
			e.direction, e.amount, e.currency
	}
	b.add("", `INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
		SELECT l.id, l.payout_created_at, x.account, x.direction, x.amount, x.currency
		FROM postings l JOIN unnest(`+b.array(pq.Array(epids), "bigint")+`, `+b.array(pq.Array(ekinds), "text")+`, `+
		b.array(pq.Array(accounts), "text")+`, `+b.array(pq.Array(directions), "text")+`, `+
		b.array(pq.Array(amounts), "bigint")+`, `+b.array(pq.Array(currencies), "text")+`)
			WITH ORDINALITY AS x(payout_id, kind, account, direction, amount, currency, n)
			ON x.payout_id = l.payout_id AND x.kind = l.kind
		ORDER BY x.n`)
}

func (r *rows) eventsPart(b *batch) {
	n := len(r.events)
	pids, at, deliveries := make([]int64, n), make([]time.Time, n), make([]sql.NullInt64, n)
	cols := make([][]string, 10) // source ... actor, as below
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, e := range r.events {
		pids[i], at[i] = e.payoutID, e.at
		if e.deliveryID != nil {
			deliveries[i] = sql.NullInt64{Int64: *e.deliveryID, Valid: true}
		}
		for c, v := range []string{e.source, e.rawStatus, e.status, e.previous, e.decision, e.detail, e.utr,
			e.failureCode, e.failureReason, e.actor} {
			cols[c][i] = v
		}
	}
	texts := []string{b.array(pq.Array(pids), "bigint")}
	for _, c := range cols {
		texts = append(texts, b.array(pq.Array(c), "text"))
	}
	b.add("", `INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
			failure_code, failure_reason, actor, observed_at, delivery_id)
		SELECT x.payout_id, x.source, x.raw_status, x.status, x.previous, x.decision, x.detail, x.utr, x.failure_code,
			x.failure_reason, x.actor, x.observed_at, x.delivery_id
		FROM unnest(`+strings.Join(texts, ", ")+`, `+
		b.array(pq.Array(at), "timestamptz")+`, `+b.array(pq.Array(deliveries), "bigint")+`)
			WITH ORDINALITY AS x(payout_id, source, raw_status, status, previous, decision, detail, utr, failure_code,
				failure_reason, actor, observed_at, delivery_id, n)
		ORDER BY x.n`)
}

func (r *rows) auditsPart(b *batch) {
	n := len(r.audits)
	actor, action, typ, id, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, a := range r.audits {
		actor[i], action[i], typ[i], id[i], details[i] = a.actor, a.action, a.entityType, a.entityID, a.details
	}
	b.add("", `INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		SELECT x.actor, x.action, x.entity_type, x.entity_id, x.details FROM unnest(`+b.array(pq.Array(actor), "text")+`, `+
		b.array(pq.Array(action), "text")+`, `+b.array(pq.Array(typ), "text")+`, `+b.array(pq.Array(id), "text")+`, `+
		b.array(pq.Array(details), "jsonb")+`)
			WITH ORDINALITY AS x(actor, action, entity_type, entity_id, details, n)
		ORDER BY x.n`)
}

func (r *rows) deliveriesPart(b *batch) {
	n := len(r.deliveries)
	ids, lengths, payouts := make([]int64, n), make([]int64, n), make([]sql.NullInt64, n)
	provider, headers, payload, eventID, eventType, outcome, detail := make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bodies, verified := make(pq.ByteaArray, n), make([]bool, n)
	for i, x := range r.deliveries {
		d := x.d
		ids[i], lengths[i], provider[i], headers[i], payload[i] = x.id, d.BodyLength, d.Provider, x.h, d.Payload
		eventID[i], eventType[i], outcome[i], detail[i], bodies[i], verified[i] = d.EventID, d.EventType, d.Outcome,
			d.Detail, d.Body, d.Verified
		if d.PayoutID != nil {
			payouts[i] = sql.NullInt64{Int64: *d.PayoutID, Valid: true}
		}
	}
	b.add("delivery", `INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified,
			event_id, event_type, outcome, detail, payout_id)
		SELECT CASE WHEN x.id = 0 THEN nextval('webhook_deliveries_id_seq') ELSE x.id END, x.provider, x.headers, x.body,
			x.body_length, x.payload, x.verified, x.event_id, x.event_type, x.outcome, x.detail, x.payout_id
		FROM unnest(`+b.array(pq.Array(ids), "bigint")+`, `+b.array(pq.Array(provider), "text")+`, `+
		b.array(pq.Array(headers), "jsonb")+`, `+b.array(bodies, "bytea")+`, `+b.array(pq.Array(lengths), "bigint")+`, `+
		b.array(pq.Array(payload), "text")+`, `+b.array(pq.Array(verified), "boolean")+`, `+
		b.array(pq.Array(eventID), "text")+`, `+b.array(pq.Array(eventType), "text")+`, `+
		b.array(pq.Array(outcome), "text")+`, `+b.array(pq.Array(detail), "text")+`, `+
		b.array(pq.Array(payouts), "bigint")+`)
			WITH ORDINALITY AS x(id, provider, headers, body, body_length, payload, verified, event_id, event_type, outcome,
				detail, payout_id, n)
		ORDER BY x.n
		RETURNING id`)
}
