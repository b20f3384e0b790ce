package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"payops/payout"
)

// closeClearedCases closes, as "closed" by the system, the open cases whose
// condition has cleared, each with a note saying what cleared it.
func (s *Store) closeClearedCases(ctx context.Context) (int, error) {
	var cleared []struct {
		ID   int64  `db:"id"`
		Note string `db:"note"`
	}
	err := s.db.SelectContext(ctx, &cleared, `
		SELECT c.id, 'the payout is now ' || p.status AS note
		FROM exception_cases c JOIN payouts p ON p.id = c.payout_id
		WHERE c.state = 'open' AND (
			(c.kind = 'failed_after_send' AND p.status NOT IN `+unpaidAfterSend+`) OR
			(c.kind = 'stuck_long' AND p.status NOT IN ('QUEUED', 'PROCESSING')))
		UNION ALL
		-- A payout pending approval is QUEUED (RazorpayX "pending"): what
		-- clears the case is the provider no longer holding it for approval.
		SELECT c.id, 'no longer waiting for approval at the provider: it says ' || p.provider_state || ', the payout is ' || p.status
		FROM exception_cases c JOIN payouts p ON p.id = c.payout_id
		WHERE c.state = 'open' AND c.kind = 'pending_approval' AND NOT p.pending_approval
		UNION ALL
		SELECT c.id, 'a later observation agrees: ' || e.source || ' says ' || e.status || ' (' || e.raw_status || ')'
		FROM exception_cases c
		JOIN LATERAL (SELECT e.* FROM payout_events e WHERE e.payout_id = c.payout_id ORDER BY e.id DESC LIMIT 1) e ON true
		WHERE c.state = 'open' AND c.kind = 'anomaly' AND e.decision IN ('applied', 'merged') AND e.recorded_at > c.opened_at
		UNION ALL
		-- The reconciler's look that only repeats the payout's state writes
		-- no event (payout.Recorded) but moves last_answered_at: it agrees
		-- unless that answer was recorded as something else.
		SELECT c.id, 'a later check agrees: the provider says ' || p.provider_state || ', the payout is ' || p.status
		FROM exception_cases c JOIN payouts p ON p.id = c.payout_id
		WHERE c.state = 'open' AND c.kind = 'anomaly' AND p.last_answered_at > c.opened_at
		  AND NOT EXISTS (SELECT 1 FROM payout_events e WHERE e.payout_id = p.id AND e.recorded_at >= p.last_answered_at
		                  AND e.decision NOT IN ('applied', 'merged'))
		UNION ALL
		SELECT c.id, 'the webhook found its payout'
		FROM exception_cases c JOIN webhook_events w ON c.subject = 'webhook:' || w.provider || ':' || w.event_id
		WHERE c.state = 'open' AND c.kind = 'orphan_webhook' AND w.payout_id IS NOT NULL
		UNION ALL
		SELECT c.id, 'the difference is ' || d.resolution
		FROM exception_cases c JOIN recon_diffs d ON d.id = split_part(c.subject, ':', 2)::bigint
		WHERE c.state = 'open' AND c.kind = 'recon_difference' AND d.resolution <> 'open'
		UNION ALL
		-- A new version of the day takes the old one's place. A case whose
		-- difference it finds again (one without a case yet) is carried to
		-- it by the next carryReconCases, not closed: a version committed
		-- between that carry and this close waits for the next scan.
		SELECT c.id, 'the day was reconciled again: version ' || n.version || ' takes the place of version ' || r.version
		FROM exception_cases c JOIN recon_diffs d ON d.id = split_part(c.subject, ':', 2)::bigint JOIN recon_runs r ON r.id = d.run_id
		JOIN LATERAL (SELECT max(n.version) AS version FROM recon_runs n
		              WHERE n.provider = r.provider AND n.business_date = r.business_date) n ON n.version > r.version
		WHERE c.state = 'open' AND c.kind = 'recon_difference' AND d.resolution = 'open'
		  AND NOT EXISTS (SELECT 1 FROM recon_diffs nd JOIN recon_runs nr ON nr.id = nd.run_id
		                  WHERE nr.provider = r.provider AND nr.business_date = r.business_date AND nr.version = n.version
		                    AND nd.kind = d.kind AND nd.reference_id = d.reference_id
		                    AND nd.provider_payout_id = d.provider_payout_id AND nd.resolution = 'open'
		                    AND NOT EXISTS (SELECT 1 FROM exception_cases x WHERE x.kind = 'recon_difference'
		                                    AND x.subject = 'recon_diff:' || nd.id))`)
	if err != nil {
		return 0, fmt.Errorf("store: cleared cases: %w", err)
	}
	n := 0
	for _, c := range cleared {
		err := s.WithTx(ctx, func(q Querier) error {
			res, err := q.ExecContext(ctx, `UPDATE exception_cases SET state = 'closed', closed_at = now(), closed_by = 'system',
				close_note = $2 WHERE id = $1 AND state = 'open'`, c.ID, "closed by itself: "+c.Note)
			if err != nil {
				return fmt.Errorf("store: close case %d: %w", c.ID, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return audit(ctx, q, "system", "exception.close", "exception", fmt.Sprint(c.ID), map[string]any{"note": c.Note})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// escalateCases hands the open cases past their SLA, not yet escalated, to
// their kind's escalation owner.
func (s *Store) escalateCases(ctx context.Context) (int, error) {
	var n int
	err := s.WithTx(ctx, func(q Querier) error {
		var ids []int64
		err := q.SelectContext(ctx, &ids, `
			UPDATE exception_cases c SET escalated_at = now(), owner_id = coalesce(
				(SELECT u.id FROM users u WHERE u.id = k.next_owner_id AND u.disabled_at IS NULL), c.owner_id),
				owner_stands_in = c.owner_stands_in AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = k.next_owner_id
					AND u.disabled_at IS NULL)
			FROM exception_kinds k WHERE k.kind = c.kind AND c.state = 'open' AND c.escalated_at IS NULL AND c.sla_due_at < now()
			RETURNING c.id`)
		if err != nil {
			return fmt.Errorf("store: escalate cases: %w", err)
		}
		n = len(ids)
		for _, id := range ids {
			if err := audit(ctx, q, "system", "exception.escalate", "exception", fmt.Sprint(id),
				map[string]any{"why": "past its SLA"}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// onOpenCase runs fn with the open case id locked, in one transaction.
func (s *Store) onOpenCase(ctx context.Context, id int64, fn func(q Querier, c Case) error) (Case, error) {
	var c Case
	err := s.WithTx(ctx, func(q Querier) error {
		if _, err := q.ExecContext(ctx, `SELECT 1 FROM exception_cases WHERE id = $1 FOR UPDATE`, id); err != nil {
			return fmt.Errorf("store: lock case %d: %w", id, err)
		}
		if err := q.GetContext(ctx, &c, caseSelect+`WHERE c.id = $1`, id); err != nil {
			return fmt.Errorf("store: case %d: %w", id, mapErr(err))
		}
		if !c.Open() {
			return Refused("case #%d is already %s", id, c.State)
		}
		return fn(q, c)
	})
	return c, err
}

// RecordCaseRecheck keeps, in case id's history, what a Re-check pressed on
// it learnt: what the provider said (or why it could not be asked) and the
// payout's status after it. The answer itself is the payout's event.
func (s *Store) RecordCaseRecheck(ctx context.Context, id int64, by Actor, said string, status payout.Status) error {
	return s.Audit(ctx, by.Name, "exception.recheck", "exception", fmt.Sprint(id),
		map[string]any{"said": said, "status": string(status)})
}

// ResolveCase closes an open case for a person, with their note.
func (s *Store) ResolveCase(ctx context.Context, id int64, by Actor, note string) (Case, error) {
	return s.onOpenCase(ctx, id, func(q Querier, c Case) error {
		if err := closeCase(ctx, q, id, "resolved", by, note, nil); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "exception.resolve", "exception", fmt.Sprint(id), map[string]any{"note": note})
	})
}

func closeCase(ctx context.Context, q Querier, id int64, state string, by Actor, note string, retry *int64) error {
	_, err := q.ExecContext(ctx, `UPDATE exception_cases SET state = $2, closed_at = now(), closed_by = $3, close_note = $4,
		retry_payout_id = coalesce($5, retry_payout_id) WHERE id = $1`, id, state, by.Name, note, retry)
	if err != nil {
		return fmt.Errorf("store: %s case %d: %w", state, id, err)
	}
	return nil
}

// ReassignCase gives an open case to another active user.
func (s *Store) ReassignCase(ctx context.Context, id, ownerID int64, by Actor, note string) (Case, error) {
	return s.onOpenCase(ctx, id, func(q Querier, c Case) error {
		var name string
		if err := q.GetContext(ctx, &name, `SELECT name FROM users WHERE id = $1 AND disabled_at IS NULL`, ownerID); err != nil {
			return Refused("user #%d is not an active user", ownerID)
		}
		if _, err := q.ExecContext(ctx, `UPDATE exception_cases SET owner_id = $2, owner_stands_in = false WHERE id = $1`,
			id, ownerID); err != nil {
			return fmt.Errorf("store: reassign case %d: %w", id, err)
		}
		return audit(ctx, q, by.Name, "exception.reassign", "exception", fmt.Sprint(id), map[string]any{"to": name, "note": note})
	})
}

// EscalateCase hands an open case to its kind's escalation owner now.
func (s *Store) EscalateCase(ctx context.Context, id int64, by Actor, note string) (Case, error) {
	return s.onOpenCase(ctx, id, func(q Querier, c Case) error {
		var next *int64
		var name string
		if err := q.GetContext(ctx, &next, `SELECT u.id FROM exception_kinds k
				LEFT JOIN users u ON u.id = k.next_owner_id AND u.disabled_at IS NULL WHERE k.kind = $1`, c.Kind); err != nil {
			return fmt.Errorf("store: escalation owner of %s: %w", c.Kind, err)
		}
		if next == nil {
			return Refused("%s cases have no active escalation owner: an admin sets one on the owners page", c.Kind)
		}
		if err := q.GetContext(ctx, &name, `SELECT name FROM users WHERE id = $1`, *next); err != nil {
			return fmt.Errorf("store: escalation owner: %w", err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE exception_cases SET owner_id = $2, owner_stands_in = false,
			escalated_at = coalesce(escalated_at, now()) WHERE id = $1`, id, *next); err != nil {
			return fmt.Errorf("store: escalate case %d: %w", id, err)
		}
		return audit(ctx, q, by.Name, "exception.escalate", "exception", fmt.Sprint(id),
			map[string]any{"from": c.OwnerName, "to": name, "note": note})
	})
}

// RetryFailed sends a failed payout again as a new instruction: a new payout
// under ref, its request the failed one's with fix applied
// (payout.RetryRequest), through the gates (Intake), linked both ways
// (payouts.retry_of, the case's retry_payout_id), and the case resolved.
// Only a request or beneficiary failure is retried this way. A retry to
// another account number or bank is held by the beneficiary gate for a
// second person (payout.RedirectOf); the audit entry names the fields
// corrected and, masked, both account numbers (both banks when the bank
// changed).
func (s *Store) RetryFailed(ctx context.Context, caseID int64, fix payout.RetryFix, by Actor, note string,
	policy payout.Policy) (Case, string, error) {
	var ref string
	c, err := s.onOpenCase(ctx, caseID, func(q Querier, c Case) error {
		if c.Kind != payout.CaseFailed || c.PayoutID == nil {
			return Refused("case #%d is not a failed payout's: only those are retried as a new instruction", caseID)
		}
		if class := payout.FailureClass(c.FailureClass); !class.ResubmitAsNew() {
			return Refused("a %s failure is not fixed by a corrected request: %s", class.Label(), "resolve it instead")
		}
		// Under the payout's lock: it must still be FAILED, and the provider
		// must not have reported another outcome since (a late SUCCEEDED is an
		// anomaly, the payout stays FAILED): sending again would pay twice.
		// Since settled_at, set once when it failed: updated_at moves on
		// any later merge (a failure code a Re-check brings). The anomaly
		// event, or the anomaly case the exceptions job opened for it (or
		// one still open from before, which a later anomaly adds no case
		// to): a case is never archived, the event's month may be (a
		// shortened PAYOPS_RETENTION for payout_events), and the dispute
		// with it.
		var now struct {
			Ref      string        `db:"reference_id"`
			Status   payout.Status `db:"status"`
			Disputed bool          `db:"disputed"`
		}
		if err := q.GetContext(ctx, &now, `SELECT p.reference_id, p.status, EXISTS (SELECT 1 FROM payout_events e
				WHERE e.payout_id = p.id AND e.decision = 'anomaly' AND e.recorded_at >= p.settled_at)
				OR EXISTS (SELECT 1 FROM exception_cases a WHERE a.payout_id = p.id AND a.kind = 'anomaly'
				AND (a.opened_at >= p.settled_at OR a.state = 'open')) AS disputed
			FROM payouts p WHERE p.id = $1 FOR UPDATE OF p`, *c.PayoutID); err != nil {
			return fmt.Errorf("store: failed payout %d: %w", *c.PayoutID, mapErr(err))
		}
		if !now.Status.NotPaid() {
			return Refused("%s is %s now, not failed, reversed or cancelled: nothing is sent again", now.Ref, now.Status)
		}
		if now.Disputed {
			return Refused("the provider has reported another outcome for %s since it failed (see its timeline and "+
				"its anomaly case): the money may have arrived, so payops does not send it again from here, whatever a "+
				"re-check says now; confirm with the provider, and if nothing arrived the platform sends a new payout",
				now.Ref)
		}
		failed, err := requestOf(ctx, q, *c.PayoutID)
		if err != nil {
			return err
		}
		retryRef, err := freeRetryRef(ctx, q, failed.ReferenceID, payout.Livemode(failed.Provider))
		if err != nil {
			return err
		}
		req, errs := payout.RetryRequest(failed, fix, retryRef)
		if len(errs) > 0 {
			return &FieldsError{Fields: errs}
		}
		ref = req.ReferenceID
		redirect := payout.RedirectOf(failed.Beneficiary, req.Beneficiary, failed.ReferenceID)
		id, err := intakeIn(ctx, q, req, policy, by, time.Time{}, c.PayoutID, redirect)
		if err != nil {
			return err
		}
		if err := closeCase(ctx, q, caseID, "resolved", by, note, &id); err != nil {
			return err
		}
		// The failed payout's JSON now names its retry (retried_as), which
		// a platform checks before sending a failed payout again.
		if err := touchPayout(ctx, q, *c.PayoutID); err != nil {
			return err
		}
		details := map[string]any{"failed": failed.ReferenceID, "retry": ref, "note": note,
			"corrected": payout.CorrectedFields(failed.Beneficiary, req.Beneficiary)}
		if redirect != nil && redirect.Account {
			details["account_from"], details["account_to"] = redirect.From, redirect.To
		}
		if redirect != nil && redirect.Bank {
			details["bank_from"], details["bank_to"] = redirect.FromBank, redirect.ToBank
		}
		return audit(ctx, q, by.Name, "exception.retry", "exception", fmt.Sprint(caseID), details)
	})
	return c, ref, err
}

// freeRetryRef returns the first retry reference of ref (REF-R1, REF-R2,
// ...) no payout has: retries of a retry (REF-R1 failing too) count on
// from the same original, so they never collide. live is the mode the
// references are looked for in (a reference is unique per mode).
func freeRetryRef(ctx context.Context, q Querier, ref string, live bool) (string, error) {
	for n := 1; n <= 99; n++ {
		next := payout.RetryRef(ref, n)
		var taken bool
		if err := q.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM payouts WHERE reference_id = $1 AND livemode = $2)`, next, live); err != nil {
			return "", fmt.Errorf("store: retry reference of %s: %w", ref, err)
		}
		if !taken {
			return next, nil
		}
	}
	return "", Refused("%s has been sent again 99 times: resolve the case and ask the platform for a new payout", ref)
}

// FieldsError is a correction refused field by field.
type FieldsError struct {
	Fields payout.FieldErrors
}

func (e *FieldsError) Error() string {
	var parts []string
	for f, m := range e.Fields {
		parts = append(parts, f+" "+m)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// requestOf returns the request payout id was made from: the API's record
// (which keeps no account number) with the account number, or for a payout
// made otherwise, its columns.
func requestOf(ctx context.Context, q Querier, id int64) (payout.Request, error) {
	var row struct {
		Intake   []byte `db:"intake"`
		Account  string `db:"account_number"`
		IFSC     string `db:"ifsc"`
		BankCode string `db:"bank_code"`
		Payout
	}
	err := q.GetContext(ctx, &row, `SELECT p.intake, b.account_number, b.ifsc, b.bank_code, `+payoutColumns+payoutFrom+`WHERE p.id = $1`, id)
	if err != nil {
		return payout.Request{}, fmt.Errorf("store: request of payout %d: %w", id, mapErr(err))
	}
	var r payout.Request
	if row.Intake != nil {
		if err := json.Unmarshal(row.Intake, &r); err != nil {
			return payout.Request{}, fmt.Errorf("store: intake record of payout %d: %w", id, err)
		}
	} else {
		p := row.Payout
		r = payout.Request{ReferenceID: p.ReferenceID, Provider: p.Provider, AmountMinor: p.AmountMinor, Currency: p.Currency,
			Mode: p.Mode, Narration: p.Narration, Market: p.Market, Program: p.Program, Metadata: json.RawMessage(`{}`),
			Beneficiary: payout.Beneficiary{Name: p.BeneficiaryName, IFSC: row.IFSC, BankCode: row.BankCode, BankName: p.BankName,
				TaxArtifact: payout.TaxArtifact(p.TaxArtifact)}}
	}
	r.Beneficiary.AccountNumber = row.Account
	return r, nil
}
