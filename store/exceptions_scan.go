package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"payops/payout"
)

// Classifier classifies a provider's failure code (adapters.Registry's
// ClassifyFailure).
type Classifier func(provider, code string) payout.FailureClass

// Scanned is what one scan of the exception conditions did.
type Scanned struct {
	Opened, Closed, Escalated int
}

// lookback bounds how far back the scan looks for new conditions: a case
// opens within a minute of its condition, so a week is ample, and keeps the
// scan to recent rows of the big tables.
const lookback = 7 * 24 * time.Hour

// ScanExceptions opens a case for every condition that has none (payout.
// CaseKind), closes the open cases whose condition has cleared (saying so),
// escalates the open cases past their SLA to their kind's escalation owner,
// and gives a stand-in to every open case left without an owner. Each step is its own transaction; a condition met twice opens one
// case (the open-case index), so any number of instances may scan.
//
// A step that fails does not stop the others (closing and escalating go on
// whatever opening met); the errors are joined.
func (s *Store) ScanExceptions(ctx context.Context, classify Classifier) (Scanned, error) {
	var out Scanned
	var errs []error
	for _, open := range []func(context.Context, Classifier) (int, error){
		s.adoptLateOrphans, s.openFailedCases, s.openAnomalyCases, s.openStuckCases, s.openOrphanCases, s.openReconCases,
	} {
		n, err := open(ctx, classify)
		out.Opened += n
		errs = append(errs, err)
	}
	n, err := s.closeClearedCases(ctx)
	out.Closed = n
	errs = append(errs, err)
	out.Escalated, err = s.escalateCases(ctx)
	return out, errors.Join(append(errs, err, s.routeOwnerlessCases(ctx))...)
}

// payoutFacts are what a payout case's evidence says of its payout.
type payoutFacts struct {
	ID            int64     `db:"id"`
	ReferenceID   string    `db:"reference_id"`
	Provider      string    `db:"provider"`
	AmountMinor   int64     `db:"amount_minor"`
	Currency      string    `db:"currency"`
	Status        string    `db:"status"`
	FailureCode   string    `db:"failure_code"`
	FailureReason string    `db:"failure_reason"`
	UpdatedAt     time.Time `db:"updated_at"`
	Livemode      bool      `db:"livemode"`
}

func (p payoutFacts) evidence() map[string]any {
	return map[string]any{"reference_id": p.ReferenceID, "provider": p.Provider,
		"amount": payout.Money{Minor: p.AmountMinor, Currency: p.Currency}.String(), "status": p.Status,
		"last_change": p.UpdatedAt.UTC().Format(time.RFC3339)}
}

const factColumns = `p.id, p.reference_id, p.provider, p.amount_minor, p.currency, p.status, p.failure_code,
	p.failure_reason, p.updated_at, p.livemode`

// openEach opens one case per row inside one transaction.
func (s *Store) openEach(ctx context.Context, cases []NewCase) (int, error) {
	if len(cases) == 0 {
		return 0, nil
	}
	n := 0
	err := s.WithTx(ctx, func(q Querier) error {
		n = 0
		for _, c := range cases {
			id, err := OpenCase(ctx, q, c)
			if err != nil {
				return err
			}
			if id != 0 {
				n++
			}
		}
		return nil
	})
	return n, err
}

// unpaidAfterSend are the statuses of a payout sent and not paid: failed,
// reversed (the money came back: Xendit's dormant account, RazorpayX's
// payout.reversed, Paywize's REFUNDED) or cancelled at the provider (its
// own cancel, a rejection in its approval workflow). Each is a failed
// payout's case: someone decides whether it goes again.
const unpaidAfterSend = `('FAILED', 'REVERSED', 'CANCELLED')`

// openFailedCases: a payout failed, reversed or cancelled after it was
// sent, classified by its provider's failure code.
func (s *Store) openFailedCases(ctx context.Context, classify Classifier) (int, error) {
	var rows []payoutFacts
	err := s.db.SelectContext(ctx, &rows, `SELECT `+factColumns+` FROM payouts p
		WHERE p.status IN `+unpaidAfterSend+` AND p.submitted_at IS NOT NULL AND p.updated_at > now() - $1::interval
		  AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.payout_id = p.id AND c.kind = 'failed_after_send')
		ORDER BY p.id LIMIT 500`, lookback.String())
	if err != nil {
		return 0, fmt.Errorf("store: failed payouts for cases: %w", err)
	}
	if err := s.reclassifyFailed(ctx, classify); err != nil {
		return 0, err
	}
	cases := make([]NewCase, len(rows))
	for i, p := range rows {
		class := classify(p.Provider, p.FailureCode)
		ev := p.evidence()
		ev["failure_code"], ev["failure_reason"], ev["class"] = p.FailureCode, p.FailureReason, class.Label()
		id := p.ID
		cases[i] = NewCase{Kind: payout.CaseFailed, Subject: fmt.Sprintf("payout:%d", p.ID), PayoutID: &id, Class: class,
			Summary: fmt.Sprintf("%s %s at %s (%s): %s", p.ReferenceID, unpaidVerb(p.Status), p.Provider, class.Label(),
				orCode(p.FailureCode, p.FailureReason)),
			Evidence: ev, Livemode: p.Livemode}
	}
	return s.openEach(ctx, cases)
}

func unpaidVerb(status string) string {
	switch payout.Status(status) {
	case payout.Reversed:
		return "was reversed"
	case payout.Cancelled:
		return "was cancelled"
	}
	return "failed"
}

func orCode(code, reason string) string {
	switch {
	case code != "" && reason != "":
		return code + " — " + reason
	case code != "":
		return code
	case reason != "":
		return reason
	}
	return "no failure code given"
}

// openAnomalyCases: a provider reported a state the payout cannot move to.
func (s *Store) openAnomalyCases(ctx context.Context, _ Classifier) (int, error) {
	var rows []struct {
		payoutFacts
		RawStatus  string    `db:"raw_status"`
		Observed   string    `db:"observed"`
		Detail     string    `db:"detail"`
		Source     string    `db:"source"`
		RecordedAt time.Time `db:"recorded_at"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT DISTINCT ON (p.id) `+factColumns+`, e.raw_status, e.status AS observed,
			e.detail, e.source, e.recorded_at
		FROM payout_events e JOIN payouts p ON p.id = e.payout_id
		WHERE e.decision = 'anomaly' AND e.recorded_at > now() - $1::interval
		  AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.payout_id = p.id AND c.kind = 'anomaly'
		                  AND (c.opened_at >= e.recorded_at OR c.state = 'open'))
		ORDER BY p.id, e.recorded_at DESC LIMIT 500`, lookback.String())
	if err != nil {
		return 0, fmt.Errorf("store: anomalies for cases: %w", err)
	}
	cases := make([]NewCase, len(rows))
	for i, r := range rows {
		ev := r.evidence()
		ev["provider_says"], ev["observed"], ev["source"], ev["decision"] = r.RawStatus, r.Observed, r.Source, r.Detail
		ev["observed_at"] = r.RecordedAt.UTC().Format(time.RFC3339)
		id := r.ID
		cases[i] = NewCase{Kind: payout.CaseAnomaly, Subject: fmt.Sprintf("payout:%d", r.ID), PayoutID: &id,
			Summary:  fmt.Sprintf("%s says %s (%s) but the payout is %s", r.Provider, r.Observed, r.RawStatus, r.Status),
			Evidence: ev, Livemode: r.Livemode}
	}
	return s.openEach(ctx, cases)
}

// openStuckCases: a payout sent and unsettled past s.StuckLongAfter
// (payout.StuckLongAfter unless set),
// PROCESSING or still QUEUED at the provider (RazorpayX queues a payout
// for low balance or a bank that is down); one waiting for an approval
// inside the provider has its own case.
//
// Each mode is read along its own index of open payouts by last change
// (migration 00068), oldest first, and the two merged: without the mode,
// PostgreSQL walked every payout by last change, settled ones and all (0.5 s
// a run at a million payouts).
func (s *Store) openStuckCases(ctx context.Context, _ Classifier) (int, error) {
	const stuckLong = `SELECT ` + factColumns + ` FROM payouts p
		WHERE p.status IN ('QUEUED', 'PROCESSING') AND p.submitted_at IS NOT NULL AND NOT p.pending_approval
		  AND p.updated_at < now() - $1::interval
		  AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.payout_id = p.id AND c.kind = 'stuck_long'
		                  AND (c.opened_at >= p.updated_at OR c.state = 'open'))`
	var rows []payoutFacts
	err := s.db.SelectContext(ctx, &rows, `SELECT * FROM (
		(`+stuckLong+` AND p.livemode ORDER BY p.updated_at LIMIT 500)
		UNION ALL
		(`+stuckLong+` AND NOT p.livemode ORDER BY p.updated_at LIMIT 500)) s
		ORDER BY updated_at LIMIT 500`, cmp.Or(s.StuckLongAfter, payout.StuckLongAfter).String())
	if err != nil {
		return 0, fmt.Errorf("store: long-stuck payouts for cases: %w", err)
	}
	cases := make([]NewCase, len(rows))
	for i, p := range rows {
		id := p.ID
		cases[i] = NewCase{Kind: payout.CaseStuckLong, Subject: fmt.Sprintf("payout:%d", p.ID), PayoutID: &id,
			Summary: fmt.Sprintf("%s has been %s at %s since %s", p.ReferenceID, p.Status, p.Provider,
				p.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC")),
			Evidence: p.evidence(), Livemode: p.Livemode}
	}
	return s.openEach(ctx, cases)
}

// adoptLateOrphans gives the orphan webhooks of the last day whose payout
// exists now to it, applied in arrival order as adoption does. Adoption
// runs when a payout is made or its provider id first recorded; a webhook
// that arrived while that write was committing saw no payout, and the
// write saw no orphan, so nothing else would adopt it. It opens no case
// (0).
func (s *Store) adoptLateOrphans(ctx context.Context, _ Classifier) (int, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `
		SELECT p.id FROM webhook_events e
			JOIN webhook_deliveries d ON d.id = e.delivery_id AND d.received_at > now() - interval '1 day'
			JOIN payouts p ON p.provider = e.provider AND p.provider_payout_id = e.provider_payout_id
		WHERE e.payout_id IS NULL AND e.provider_payout_id <> ''
		UNION
		SELECT p.id FROM webhook_events e
			JOIN webhook_deliveries d ON d.id = e.delivery_id AND d.received_at > now() - interval '1 day'
			JOIN payouts p ON p.provider = e.provider AND p.reference_id = e.reference_id AND `+samePayoutAtProvider+`
		WHERE e.payout_id IS NULL AND e.reference_id <> ''
		LIMIT 500`)
	if err != nil {
		return 0, fmt.Errorf("store: orphans whose payout exists: %w", err)
	}
	for _, id := range ids {
		err := s.WithTx(ctx, func(q Querier) error {
			if _, err := q.ExecContext(ctx, `SELECT 1 FROM payouts WHERE id = $1 FOR UPDATE`, id); err != nil {
				return fmt.Errorf("store: lock payout %d: %w", id, err)
			}
			return adoptOrphans(ctx, q, id)
		})
		if err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// openOrphanCases: a webhook for a payout payops does not know, kept longer
// than payout.OrphanAfter.
func (s *Store) openOrphanCases(ctx context.Context, _ Classifier) (int, error) {
	var rows []struct {
		Provider         string    `db:"provider"`
		EventID          string    `db:"event_id"`
		ProviderPayoutID string    `db:"provider_payout_id"`
		ReferenceID      string    `db:"reference_id"`
		RawStatus        string    `db:"raw_status"`
		DeliveryID       int64     `db:"delivery_id"`
		ReceivedAt       time.Time `db:"received_at"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT w.provider, w.event_id, w.provider_payout_id, w.reference_id, w.raw_status,
			w.delivery_id, d.received_at
		FROM webhook_events w JOIN webhook_deliveries d ON d.id = w.delivery_id
		WHERE w.payout_id IS NULL AND d.received_at < now() - $1::interval
		  AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.kind = 'orphan_webhook'
		                  AND c.subject = 'webhook:' || w.provider || ':' || w.event_id)
		ORDER BY d.received_at LIMIT 500`, payout.OrphanAfter.String())
	if err != nil {
		return 0, fmt.Errorf("store: orphan webhooks for cases: %w", err)
	}
	cases := make([]NewCase, len(rows))
	for i, r := range rows {
		names := r.ReferenceID
		if names == "" {
			names = r.ProviderPayoutID
		}
		cases[i] = NewCase{Kind: payout.CaseOrphanWebhook, Subject: "webhook:" + r.Provider + ":" + r.EventID,
			Summary: fmt.Sprintf("%s sent %s for %s, a payout payops does not know", r.Provider, r.RawStatus, names),
			Evidence: map[string]any{"provider": r.Provider, "event_id": r.EventID, "provider_payout_id": r.ProviderPayoutID,
				"reference_id": r.ReferenceID, "provider_says": r.RawStatus, "delivery": r.DeliveryID,
				"received_at": r.ReceivedAt.UTC().Format(time.RFC3339)},
			Livemode: payout.Livemode(r.Provider)}
	}
	return s.openEach(ctx, cases)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// reclassifyFailed classifies again the open failed-payout cases opened
// without a failure code (a webhook that gave only words) once a re-check
// has brought the provider's code.
func (s *Store) reclassifyFailed(ctx context.Context, classify Classifier) error {
	var rows []struct {
		ID       int64  `db:"id"`
		Provider string `db:"provider"`
		Code     string `db:"failure_code"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT c.id, p.provider, p.failure_code FROM exception_cases c
		JOIN payouts p ON p.id = c.payout_id
		WHERE c.state = 'open' AND c.kind = 'failed_after_send' AND c.failure_class = 'unknown' AND p.failure_code <> ''`)
	if err != nil {
		return fmt.Errorf("store: failed cases to classify: %w", err)
	}
	for _, r := range rows {
		class := classify(r.Provider, r.Code)
		if class == payout.FailUnknown {
			continue
		}
		err := s.WithTx(ctx, func(q Querier) error {
			if _, err := q.ExecContext(ctx, `UPDATE exception_cases SET failure_class = $2 WHERE id = $1`, r.ID, string(class)); err != nil {
				return fmt.Errorf("store: classify case %d: %w", r.ID, err)
			}
			if err := audit(ctx, q, "system", "exception.classify", "exception", fmt.Sprint(r.ID),
				map[string]any{"class": class, "failure_code": r.Code}); err != nil {
				return err
			}
			return routeToClassOwner(ctx, q, r.ID, class)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
