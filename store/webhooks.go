package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// Delivery is one webhook delivery as it arrived.
type Delivery struct {
	ID         int64             `db:"id"`
	Provider   string            `db:"provider"`
	ReceivedAt time.Time         `db:"received_at"`
	Headers    map[string]string `db:"-"`
	HeadersRaw []byte            `db:"headers"`
	Body       []byte            `db:"body"`
	BodyLength int64             `db:"body_length"` // as it arrived; Body may be its start only
	Payload    string            `db:"payload"`
	Verified   bool              `db:"verified"`
	EventID    string            `db:"event_id"`
	EventType  string            `db:"event_type"`
	Outcome    string            `db:"outcome"`
	Detail     string            `db:"detail"`
	PayoutID   *int64            `db:"payout_id"`
	PayoutRef  *string           `db:"payout_ref"`
	PayoutLive bool              `db:"payout_live"` // its payout's mode (views.PayoutPath)
}

// The outcomes of a delivery.
const (
	OutcomeApplied   = "applied"
	OutcomeMerged    = "merged"
	OutcomeDuplicate = "duplicate"
	OutcomeStale     = "stale"
	OutcomeAnomaly   = "anomaly"
	OutcomeOrphan    = "orphan"
	OutcomeIgnored   = "ignored"
	OutcomeRejected  = "rejected"
	OutcomeMalformed = "malformed"
)

// Outcomes lists every delivery outcome, for filters.
var Outcomes = []string{OutcomeApplied, OutcomeMerged, OutcomeDuplicate, OutcomeStale, OutcomeAnomaly, OutcomeOrphan,
	OutcomeIgnored, OutcomeRejected, OutcomeMalformed}

// WebhookEvent is a verified delivery's payout event, as the endpoint hands
// it to IngestWebhook.
type WebhookEvent struct {
	ID               string // the provider's event id, or a hash of the raw body
	Type             string
	Ignore           bool // not about a payout's status
	ProviderPayoutID string
	ReferenceID      string
	Observation      payout.Observation
}

// RecordDelivery stores a delivery that is not ingested (bad signature,
// unparseable body) with its outcome, and returns its id. BodyLength is
// len(Body) when zero.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) (int64, error) {
	return insertDelivery(ctx, s.q(), d)
}

func insertDelivery(ctx context.Context, q Querier, d Delivery) (int64, error) {
	var r rows
	if err := r.delivery(0, d); err != nil {
		return 0, err
	}
	w, err := r.write(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("store: record %s webhook: %w", d.Provider, err)
	}
	return w.Delivery.Int64, nil
}

// Ingested is what became of a verified delivery.
type Ingested struct {
	DeliveryID int64
	Outcome    string
	Detail     string
	PayoutRef  string // "" for orphans and ignored events
}

// IngestWebhook stores a verified delivery and, in the same transaction,
// dedupes its event on (provider, event id), matches it to a payout by the
// provider's payout id or else our reference, and applies it through the one
// apply function. An event for a payout we do not know is kept as an orphan
// and applied when the payout appears. Only a database failure is an error.
//
// A new event costs two statements besides BEGIN and COMMIT: intake (the
// delivery's id, the dedupe, the match and the payout's row lock, and what
// apply reads) and apply's write, which writes the delivery row whole with
// its outcome; a third only when an endpoint subscribes to the event
// (the outbox), or for the rare cases apply opens. With GroupWebhooks on,
// deliveries arriving together share those statements (webhooks_group.go).
func (s *Store) IngestWebhook(ctx context.Context, d Delivery, ev WebhookEvent) (Ingested, error) {
	d.Verified, d.EventID, d.EventType = true, ev.ID, ev.Type
	if ev.Ignore {
		res := Ingested{Outcome: OutcomeIgnored, Detail: "not a payout status event"}
		d.Outcome, d.Detail = res.Outcome, res.Detail
		var err error
		res.DeliveryID, err = insertDelivery(ctx, s.q(), d)
		return res, err
	}
	req := &ingestReq{ctx: ctx, d: d, ev: ev, done: make(chan struct{})}
	if g := s.groups.Load(); g != nil && g.handOver(req) {
		return req.res, req.err
	}
	err := s.ingest(ctx, []*ingestReq{req})
	return req.res, err
}

func outcomeOf(d payout.Decision) string {
	switch d {
	case payout.Apply:
		return OutcomeApplied
	case payout.Merge:
		return OutcomeMerged
	case payout.Stale:
		return OutcomeStale
	default:
		return OutcomeAnomaly
	}
}

// samePayoutAtProvider is true when an event matched to payout p by our
// reference may be about it: the event names no provider payout id, p has
// none yet, or they agree. Events e, payouts p. The same rule as
// payout.SamePayoutAtProvider, by which reconciliation pairs records.
const samePayoutAtProvider = `(p.provider_payout_id IS NULL OR coalesce(e.provider_payout_id, '') = ''
	OR e.provider_payout_id = p.provider_payout_id)`

// adoptOrphans applies, in arrival order, the orphan events that turn out to
// be about payout id (locked by the caller): those naming its provider
// payout id, or its reference and no other provider payout id.
func adoptOrphans(ctx context.Context, q Querier, id int64) error {
	var orphans []struct {
		EventID       string     `db:"event_id"`
		DeliveryID    int64      `db:"delivery_id"`
		RawStatus     string     `db:"raw_status"`
		Status        string     `db:"status"`
		UTR           string     `db:"utr"`
		FailureCode   string     `db:"failure_code"`
		FailureReason string     `db:"failure_reason"`
		FeeMinor      *int64     `db:"fee_minor"`
		ObservedAt    *time.Time `db:"observed_at"`
		Provider      string     `db:"provider"`
		Currency      string     `db:"currency"`
		AmountMinor   *int64     `db:"amount_minor"`
		AmountCur     *string    `db:"amount_currency"`
		StateReason   string     `db:"state_reason"`
		Pending       bool       `db:"pending_approval"`
		PPID          *string    `db:"provider_payout_id"`
		// The delivery's month (nil once archived): its UPDATE below names
		// it, so that it locks that month alone, not every month — one of
		// which the archive job may hold for minutes while it writes it.
		ReceivedAt *time.Time `db:"received_at"`
	}
	err := q.SelectContext(ctx, &orphans, `
		SELECT e.event_id, e.delivery_id, e.raw_status, e.status, e.utr, e.failure_code, e.failure_reason, e.fee_minor,
			e.observed_at, e.provider, p.currency, e.amount_minor, e.amount_currency, e.state_reason, e.pending_approval,
			e.provider_payout_id, (SELECT d.received_at FROM webhook_deliveries d WHERE d.id = e.delivery_id) AS received_at
		FROM payouts p JOIN webhook_events e ON e.provider = p.provider AND e.payout_id IS NULL
			AND ((p.provider_payout_id IS NOT NULL AND e.provider_payout_id = p.provider_payout_id)
				OR (e.reference_id = p.reference_id AND `+samePayoutAtProvider+`))
		WHERE p.id = $1
		ORDER BY e.delivery_id`, id)
	if err != nil {
		return fmt.Errorf("store: orphans of payout %d: %w", id, err)
	}
	for _, o := range orphans {
		// Applying one orphan may record the provider's payout id and adopt
		// (and apply) the rest inside it: one already adopted is not
		// applied twice.
		res, err := q.ExecContext(ctx, `UPDATE webhook_events SET payout_id = $3
			WHERE provider = $1 AND event_id = $2 AND payout_id IS NULL`, o.Provider, o.EventID, id)
		if err != nil {
			return fmt.Errorf("store: adopt orphan: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		obs := payout.Observation{Source: payout.SourceWebhook, RawStatus: o.RawStatus, Status: payout.Status(o.Status), UTR: o.UTR,
			FailureCode: o.FailureCode, FailureReason: o.FailureReason, Actor: o.Provider, StateReason: o.StateReason,
			PendingApproval: o.Pending}
		if o.PPID != nil {
			// The provider's id the orphan names is the payout's (the match
			// refused another one under our reference): recorded, as a
			// webhook on time would have.
			obs.ProviderPayoutID = *o.PPID
		}
		if o.AmountMinor != nil && o.AmountCur != nil {
			obs.Amount = &payout.Money{Minor: *o.AmountMinor, Currency: *o.AmountCur}
		}
		if o.ObservedAt != nil {
			obs.At = *o.ObservedAt
		}
		if o.FeeMinor != nil {
			obs.Fee = &payout.Money{Minor: *o.FeeMinor, Currency: o.Currency}
		}
		deliveryID := o.DeliveryID
		applied, err := apply(ctx, q, id, obs, &deliveryID)
		if err != nil {
			return err
		}
		if o.ReceivedAt == nil {
			continue // its delivery is archived: the event alone records the match
		}
		_, err = q.ExecContext(ctx, `UPDATE webhook_deliveries SET payout_id = $2, detail = $3 WHERE id = $1 AND received_at = $4`,
			o.DeliveryID, id, "orphan matched later: "+applied.Message, *o.ReceivedAt)
		if err != nil {
			return fmt.Errorf("store: adopt orphan delivery: %w", err)
		}
	}
	return nil
}

// DeliveryFilter selects deliveries for the webhooks page.
type DeliveryFilter struct {
	Provider string
	Outcome  string
	// Search finds deliveries by an identifier, exactly: our reference or the
	// provider's payout id (a payout's deliveries, and orphans naming it),
	// or an event id (ours, or RazorpayX's X-Razorpay-Event-Id header).
	Search   string
	Limit    int
	BeforeID int64 // 0 for the newest
}

// searchDeliveryIDs is a query of the ids of the deliveries a search $5
// finds, each reading its own indexed lookup (migration 00019's among
// them): a payout's deliveries by its reference or provider payout id,
// orphan events naming either, the first delivery of an event and the
// deliveries of its payout that repeat it, RazorpayX's header.
const searchDeliveryIDs = `
	SELECT d2.id FROM payouts p2 JOIN webhook_deliveries d2 ON d2.payout_id = p2.id
		WHERE p2.reference_id = $5 OR p2.provider_payout_id = $5
	UNION SELECT delivery_id FROM webhook_events
		WHERE payout_id IS NULL AND (reference_id = $5 OR provider_payout_id = $5)
	UNION SELECT delivery_id FROM webhook_events WHERE event_id = $5
	UNION SELECT d2.id FROM webhook_events e2
		JOIN webhook_deliveries d2 ON d2.payout_id = e2.payout_id AND d2.provider = e2.provider AND d2.event_id = e2.event_id
		WHERE e2.event_id = $5
	UNION SELECT id FROM webhook_deliveries WHERE headers->>'X-Razorpay-Event-Id' = $5`

const deliveryColumns = `d.id, d.provider, d.received_at, d.headers, d.body,
	coalesce(d.body_length, octet_length(d.body)) AS body_length, d.payload, d.verified, d.event_id, d.event_type,
	d.outcome, d.detail, d.payout_id, p.reference_id AS payout_ref, coalesce(p.livemode, true) AS payout_live`

// Deliveries returns deliveries newest first: the webhooks page's list and
// search, which read the replica when there is one (its search looks in
// every month of deliveries).
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	args := []any{f.Provider, f.Outcome, f.BeforeID, f.Limit}
	search := ""
	if f.Search != "" {
		args = append(args, f.Search)
		// ANY(ARRAY(...)) finds the few ids first; as IN (...) the planner
		// guesses the header lookup finds a thousand and walks every
		// delivery newest first instead.
		search = ` AND d.id = ANY(ARRAY(` + searchDeliveryIDs + `))`
	}
	var out []Delivery
	err := s.reader().SelectContext(ctx, &out, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d LEFT JOIN payouts p ON p.id = d.payout_id
		WHERE ($1 = '' OR d.provider = $1) AND ($2 = '' OR d.outcome = $2) AND ($3 = 0 OR d.id < $3)`+search+`
		ORDER BY d.id DESC LIMIT $4`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

// DeliveriesFor returns the deliveries about one payout, oldest first.
func (s *Store) DeliveriesFor(ctx context.Context, payoutID int64) ([]Delivery, error) {
	var out []Delivery
	err := selectFast(ctx, s.q(), &out, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d LEFT JOIN payouts p ON p.id = d.payout_id
		WHERE d.payout_id = $1 ORDER BY d.id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries for payout %d: %w", payoutID, err)
	}
	return out, nil
}

// OutcomeCount is how many deliveries had one outcome.
type OutcomeCount struct {
	Outcome string `db:"outcome"`
	Count   int    `db:"count"`
}

// DeliveryOutcomes counts the deliveries since since by outcome: the
// webhooks page's counts, read where its list is (the replica, if any).
func (s *Store) DeliveryOutcomes(ctx context.Context, since time.Time) ([]OutcomeCount, error) {
	var out []OutcomeCount
	err := s.reader().SelectContext(ctx, &out, `SELECT outcome, count(*) AS count FROM webhook_deliveries WHERE received_at >= $1 GROUP BY outcome`, since)
	if err != nil {
		return nil, fmt.Errorf("store: delivery outcomes: %w", err)
	}
	return out, nil
}

// ForgedAccepted counts deliveries from provider since a time whose
// signature did not verify and which were still taken in: neither rejected
// nor refused unread (over 1 MiB). A failure drill requires none.
func (s *Store) ForgedAccepted(ctx context.Context, provider string, since time.Time) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM webhook_deliveries
		WHERE provider = $1 AND received_at >= $2 AND NOT verified AND outcome NOT IN ('rejected', 'malformed')`, provider, since)
	if err != nil {
		return 0, fmt.Errorf("store: forged deliveries: %w", err)
	}
	return n, nil
}
