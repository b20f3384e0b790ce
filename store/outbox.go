package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// The transactional outbox: an outbound event is written inside the
// transaction of the change that causes it, so a rolled back change sends
// nothing and a committed one is never lost. The event fans out at once to
// the endpoints subscribed to its type, one delivery each — a disabled
// endpoint's wait, parked, until it is enabled again (migration 00047) —:
// an endpoint added later does not get older events, and with no such
// endpoint nothing at all is written. A payout event keeps the rows the payout's API
// JSON is made of (its snapshot, written by the SQL function
// outbox_payout_event, migrations 00027, 00031 and 00033) rather than the JSON: the delivery
// job builds the JSON with PayoutJSONOf, once, before the first attempt.

// subscribers selects the live endpoints, enabled or not, subscribed to
// event type $2: the events not about one payout are about reconciliation,
// which reads live payouts only, so a test endpoint never gets them.
const subscribers = `SELECT id FROM webhook_endpoints
	WHERE livemode AND (cardinality(events) = 0 OR $2 = ANY (events))`

// outboxPayoutEvent writes event type typ about payout id, as it stands in
// q's transaction, for every subscribed endpoint: payoutEvents of one.
func outboxPayoutEvent(ctx context.Context, q Querier, id int64, typ string) error {
	ev := payoutEvents{ids: []int64{id}, types: []string{typ}}
	return ev.write(ctx, q)
}

// payoutEvents are outbound events about payouts, written in one statement
// (the SQL function outbox_payout_events, migrations 00066 and 00069): a group of
// webhooks writes its events together, any other change its one.
type payoutEvents struct {
	ids   []int64
	types []string
}

// add adds event type typ about payout id.
func (e *payoutEvents) add(id int64, typ string) {
	e.ids = append(e.ids, id)
	e.types = append(e.types, typ)
}

// write writes the events, in order, each for the endpoints of its
// payout's mode subscribed to its type (for none, nothing).
func (e *payoutEvents) write(ctx context.Context, q Querier) error {
	if len(e.ids) == 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, `SELECT outbox_payout_events($1, $2)`, pq.Array(e.ids), pq.Array(e.types)); err != nil {
		return fmt.Errorf("store: outbox %v of payouts %v: %w", e.types, e.ids, err)
	}
	return nil
}

// outboxStatusEvent writes the event announcing that payout id moved to
// status to (payout.succeeded ...), if the move has one.
func outboxStatusEvent(ctx context.Context, q Querier, id int64, from, to payout.Status) error {
	typ, ok := payout.StatusEvent(to)
	if !ok || from == to {
		return nil
	}
	return outboxPayoutEvent(ctx, q, id, typ)
}

// outboxEvent writes an event that is not about one payout, with data as
// it is, for every subscribed endpoint.
func outboxEvent(ctx context.Context, q Querier, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: outbox %s: %w", typ, err)
	}
	_, err = q.ExecContext(ctx, `
		WITH ep AS (`+subscribers+`),
		ev AS (
			INSERT INTO outbound_events (type, data)
			SELECT $2, $1 WHERE EXISTS (SELECT 1 FROM ep)
			RETURNING id)
		INSERT INTO outbound_deliveries (event_id, endpoint_id) SELECT ev.id, ep.id FROM ev, ep`,
		jsonArg(b), typ)
	if err != nil {
		return fmt.Errorf("store: outbox %s: %w", typ, err)
	}
	return nil
}

// eventEnvelope is the body of every delivery, as Standard Webhooks
// suggests.
type eventEnvelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// renderBody returns an event's body: the envelope with the data kept, or
// the payout JSON built from the snapshot.
func renderBody(typ string, at time.Time, snapshot, data []byte) ([]byte, error) {
	env := eventEnvelope{Type: typ, Timestamp: at.UTC()}
	if snapshot != nil {
		pj, err := payoutJSONOfSnapshot(snapshot)
		if err != nil {
			return nil, err
		}
		env.Data = pj
	} else {
		env.Data = json.RawMessage(data)
		if len(data) == 0 {
			env.Data = json.RawMessage(`{}`)
		}
	}
	return json.Marshal(env)
}

func payoutJSONOfSnapshot(snapshot []byte) (PayoutJSON, error) {
	var raw struct {
		Payout json.RawMessage   `json:"payout"`
		Holds  []json.RawMessage `json:"holds"`
		Ledger []json.RawMessage `json:"ledger"`
	}
	if err := json.Unmarshal(snapshot, &raw); err != nil {
		return PayoutJSON{}, fmt.Errorf("store: event snapshot: %w", err)
	}
	var p Payout
	if err := decodeRow(raw.Payout, &p); err != nil {
		return PayoutJSON{}, err
	}
	// Snapshots written before migration 00033 lack livemode; it follows
	// from the provider and never changes, so it is known all the same.
	var mode struct {
		Livemode *bool `json:"livemode"`
	}
	if err := json.Unmarshal(raw.Payout, &mode); err != nil {
		return PayoutJSON{}, fmt.Errorf("store: event snapshot: %w", err)
	}
	if mode.Livemode == nil {
		p.Livemode = payout.Livemode(p.Provider)
	}
	holds := make([]Hold, len(raw.Holds))
	for i, r := range raw.Holds {
		if err := decodeRow(r, &holds[i]); err != nil {
			return PayoutJSON{}, err
		}
	}
	entries := make([]LedgerEntry, len(raw.Ledger))
	for i, r := range raw.Ledger {
		if err := decodeRow(r, &entries[i]); err != nil {
			return PayoutJSON{}, err
		}
	}
	return PayoutJSONOf(p, holds, entries), nil
}

// decodeRow fills the struct dest points to from a JSON object of a row,
// keyed by the fields' db tags as sqlx would scan them.
func decodeRow(row json.RawMessage, dest any) error {
	var cols map[string]json.RawMessage
	if err := json.Unmarshal(row, &cols); err != nil {
		return fmt.Errorf("store: event snapshot row: %w", err)
	}
	v := reflect.ValueOf(dest).Elem()
	for i := range v.NumField() {
		tag := v.Type().Field(i).Tag.Get("db")
		val, ok := cols[tag]
		if tag == "" || !ok || string(val) == "null" {
			continue
		}
		if err := json.Unmarshal(val, v.Field(i).Addr().Interface()); err != nil {
			return fmt.Errorf("store: event snapshot column %s: %w", tag, err)
		}
	}
	return nil
}
