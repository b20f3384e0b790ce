package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// Errors of hold actions; their messages are for the operator.
var (
	// ErrRefused: the action is not possible in the hold's or payout's
	// present state (already decided, a gate still fails, no next owner).
	ErrRefused = errors.New("refused")
	// ErrFourEyes: the releaser placed the hold or added to its evidence;
	// another compliance user must decide (payout.FourEyes).
	ErrFourEyes = errors.New("four-eyes rule")
)

// refusal is an ErrRefused or ErrFourEyes with the operator's message.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }

// Refused returns an ErrRefused whose message the operator reads.
func Refused(format string, args ...any) error {
	return &refusal{kind: ErrRefused, msg: fmt.Sprintf(format, args...)}
}

// Hold is a hold on a payout with what the holds page and the payout page
// show of the payout.
type Hold struct {
	ID             int64         `db:"id"`
	PayoutID       int64         `db:"payout_id"`
	Reason         payout.Reason `db:"reason"`
	ReasonLabel    string        `db:"reason_label"`
	Detail         string        `db:"detail"`
	OwnerID        *int64        `db:"owner_id"`
	OwnerName      string        `db:"owner_name"`
	PlacedBy       string        `db:"placed_by"`
	PlacedByUserID *int64        `db:"placed_by_user_id"`
	PlacedAt       time.Time     `db:"placed_at"`
	SLADueAt       time.Time     `db:"sla_due_at"`
	EscalatedAt    *time.Time    `db:"escalated_at"`
	State          string        `db:"state"`
	DecidedBy      *string       `db:"decided_by"`
	DecidedAt      *time.Time    `db:"decided_at"`
	DecisionNote   *string       `db:"decision_note"`
	// The users who added any of its evidence, for the four-eyes rule.
	EvidenceUserIDs pq.Int64Array `db:"evidence_user_ids"`

	ReferenceID     string        `db:"reference_id"`
	Provider        string        `db:"provider"`
	AmountMinor     int64         `db:"amount_minor"`
	Currency        string        `db:"currency"`
	PayoutStatus    payout.Status `db:"payout_status"`
	BeneficiaryName string        `db:"beneficiary_name"`
	AccountLast4    string        `db:"account_last4"`
}

// Amount returns the held payout's amount.
func (h Hold) Amount() payout.Money { return payout.Money{Minor: h.AmountMinor, Currency: h.Currency} }

// Hands returns who placed the hold and who added to its evidence.
func (h Hold) Hands() payout.HoldHands {
	return payout.HoldHands{PlacedBy: h.PlacedByUserID, EvidenceBy: h.EvidenceUserIDs}
}

// Open reports whether the hold still stops its payout.
func (h Hold) Open() bool { return h.State == "open" }

// holdsOfMode keeps the holds of live payouts, or of test payouts when its
// argument (named by %s) is true: nobody is to decide a test payout's hold
// in the real queue. Both read the test payouts' ids from their small
// partial index (payouts_test_by_created).
const holdsOfMode = `(h.payout_id IN (SELECT id FROM payouts WHERE NOT livemode)) = %s`

const holdSelect = `
	SELECT h.id, h.payout_id, h.reason, r.label AS reason_label, h.detail, h.owner_id, coalesce(u.name, '') AS owner_name,
		h.placed_by, h.placed_by_user_id, h.placed_at, h.sla_due_at, h.escalated_at, h.state, h.decided_by,
		h.decided_at, h.decision_note,
		ARRAY(SELECT DISTINCT e.added_by_user_id FROM hold_evidence e
			WHERE e.hold_id = h.id AND e.added_by_user_id IS NOT NULL) AS evidence_user_ids,
		p.reference_id, p.provider, p.amount_minor, p.currency, p.status AS payout_status,
		b.name AS beneficiary_name, b.account_last4
	FROM holds h
	JOIN hold_reasons r ON r.reason = h.reason
	JOIN payouts p ON p.id = h.payout_id
	JOIN beneficiaries b ON b.id = p.beneficiary_id
	LEFT JOIN users u ON u.id = h.owner_id `

// Evidence is one item of a hold's evidence.
type Evidence struct {
	ID      int64     `db:"id"`
	HoldID  int64     `db:"hold_id"`
	Kind    string    `db:"kind"`
	Body    string    `db:"body"`
	URL     string    `db:"url"`
	AddedBy string    `db:"added_by"`
	AddedAt time.Time `db:"added_at"`
}

// placeHold holds payout id for reason inside q, owned by the reason's
// default owner and due by its SLA, with the gate's answer as the first
// evidence. A payout has at most one open hold per reason: placing another
// is a no-op that returns 0.
func placeHold(ctx context.Context, q Querier, id int64, reason payout.Reason, detail string, evalID *int64,
	evidenceKind string, by Actor, at *time.Time) (int64, error) {
	var holdID int64
	err := q.GetContext(ctx, &holdID, `
		INSERT INTO holds (payout_id, reason, detail, evaluation_id, owner_id, placed_by, placed_by_user_id, placed_at,
			sla_due_at)
		SELECT $1, r.reason, $3, $4, r.owner_id, $5, $6, coalesce($7, now()),
			coalesce($7, now()) + make_interval(mins => r.sla_minutes)
		FROM hold_reasons r WHERE r.reason = $2
		ON CONFLICT (payout_id, reason) WHERE state = 'open' DO NOTHING
		RETURNING id`, id, reason, detail, evalID, by.Name, by.userID(), at)
	if errors.Is(err, errNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: hold payout %d for %s: %w", id, reason, err)
	}
	if err := addEvidence(ctx, q, holdID, evidenceKind, detail, "", Actor{Name: by.Name}, at); err != nil {
		return 0, err
	}
	var ref string
	if err := q.GetContext(ctx, &ref, `SELECT reference_id FROM payouts WHERE id = $1`, id); err != nil {
		return 0, fmt.Errorf("store: hold payout %d: %w", id, err)
	}
	return holdID, audit(ctx, q, by.Name, "hold.place", "payout", ref, map[string]any{"hold": holdID, "reason": reason, "detail": detail})
}

// addEvidence adds evidence to hold holdID, added at at (nil for the
// transaction's time).
func addEvidence(ctx context.Context, q Querier, holdID int64, kind, body, url string, by Actor, at *time.Time) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO hold_evidence (hold_id, kind, body, url, added_by, added_by_user_id, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()))`,
		holdID, kind, body, url, by.Name, by.userID(), at)
	if err != nil {
		return fmt.Errorf("store: evidence on hold %d: %w", holdID, err)
	}
	return nil
}

// holdPayout places a hold for each failed gate, at at (nil for the
// transaction's time), and moves the payout to HELD.
func holdPayout(ctx context.Context, q Querier, id int64, from payout.Status, failed []payout.Evaluation,
	evalIDs map[payout.Reason]int64, by Actor, at *time.Time) error {
	var reasons []string
	for _, f := range failed {
		evalID := evalIDs[f.Gate]
		holdID, err := placeHold(ctx, q, id, f.Gate, f.Answer, &evalID, "gate", by, at)
		if err != nil {
			return err
		}
		if holdID != 0 && f.Gate == payout.ReasonMarket {
			if err := ownMarketHold(ctx, q, holdID, id); err != nil {
				return err
			}
		}
		reasons = append(reasons, string(f.Gate))
	}
	if from == payout.Held {
		return nil
	}
	return setStatus(ctx, q, id, from, payout.Held, payout.SourceSystem, by.Name, "held: "+strings.Join(reasons, ", "))
}

// HoldsFor returns every hold of a payout, open ones first.
func (s *Store) HoldsFor(ctx context.Context, payoutID int64) ([]Hold, error) {
	var out []Hold
	err := s.db.SelectContext(ctx, &out, holdSelect+`WHERE h.payout_id = $1 ORDER BY h.state <> 'open', h.id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: holds of payout %d: %w", payoutID, err)
	}
	return out, nil
}

// EvidenceFor returns the evidence of a payout's holds, oldest first.
func (s *Store) EvidenceFor(ctx context.Context, payoutID int64) ([]Evidence, error) {
	var out []Evidence
	err := s.db.SelectContext(ctx, &out, `
		SELECT e.id, e.hold_id, e.kind, e.body, e.url, e.added_by, e.added_at
		FROM hold_evidence e JOIN holds h ON h.id = e.hold_id WHERE h.payout_id = $1 ORDER BY e.id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: evidence of payout %d: %w", payoutID, err)
	}
	return out, nil
}

// HoldFilter selects open holds for the holds page.
type HoldFilter struct {
	Reason  payout.Reason // "" for all
	OwnerID int64         // 0 for all, -1 for unassigned
	Now     time.Time
	Limit   int
	Offset  int
	Test    bool // the holds of test payouts instead of live ones
}

// OpenHolds returns one page of open holds, escalated and overdue first,
// then by SLA due time, and how many match in all.
func (s *Store) OpenHolds(ctx context.Context, f HoldFilter) ([]Hold, int, error) {
	where := `WHERE h.state = 'open' AND ($1 = '' OR h.reason = $1) AND ` + fmt.Sprintf(holdsOfMode, "$3") + `
		AND ($2 = 0 OR ($2 = -1 AND h.owner_id IS NULL) OR h.owner_id = $2) `
	var total int
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) FROM holds h `+where, f.Reason, f.OwnerID, f.Test); err != nil {
		return nil, 0, fmt.Errorf("store: count holds: %w", err)
	}
	var out []Hold
	err := s.db.SelectContext(ctx, &out, holdSelect+where+`
		ORDER BY (h.escalated_at IS NOT NULL OR h.sla_due_at < $4) DESC, h.sla_due_at, h.id LIMIT $5 OFFSET $6`,
		f.Reason, f.OwnerID, f.Test, f.Now, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: holds: %w", err)
	}
	return out, total, nil
}

// HoldCounts is how many holds are open and how many of them are overdue.
type HoldCounts struct {
	Open    int `db:"open"`
	Overdue int `db:"overdue"`
}

// CountHolds counts the open and overdue holds of live payouts, or of test
// payouts when test.
func (s *Store) CountHolds(ctx context.Context, now time.Time, test bool) (HoldCounts, error) {
	var c HoldCounts
	err := s.db.GetContext(ctx, &c, `
		SELECT count(*) AS open, count(*) FILTER (WHERE sla_due_at < $1 OR escalated_at IS NOT NULL) AS overdue
		FROM holds h WHERE state = 'open' AND `+fmt.Sprintf(holdsOfMode, "$2"), now, test)
	if err != nil {
		return HoldCounts{}, fmt.Errorf("store: count holds: %w", err)
	}
	return c, nil
}

// onOpenHold runs fn in one transaction with the open hold holdID and its
// payout locked, and returns the hold as it was before fn.
func (s *Store) onOpenHold(ctx context.Context, holdID int64, fn func(q Querier, h Hold) error) (Hold, error) {
	var h Hold
	err := s.WithTx(ctx, func(q Querier) error {
		var err error
		if h, err = lockHold(ctx, q, holdID); err != nil {
			return err
		}
		return fn(q, h)
	})
	return h, err
}

// lockHold locks an open hold and its payout in q's transaction.
func lockHold(ctx context.Context, q Querier, holdID int64) (Hold, error) {
	var h Hold
	if err := q.GetContext(ctx, &h.PayoutID, `SELECT payout_id FROM holds WHERE id = $1`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", holdID, mapErr(err))
	}
	// Payout first, then hold: the order every writer of both takes.
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM payouts WHERE id = $1 FOR UPDATE`, h.PayoutID); err != nil {
		return Hold{}, fmt.Errorf("store: lock payout of hold %d: %w", holdID, err)
	}
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM holds WHERE id = $1 FOR UPDATE`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: lock hold %d: %w", holdID, err)
	}
	if err := q.GetContext(ctx, &h, holdSelect+`WHERE h.id = $1`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", holdID, mapErr(err))
	}
	if !h.Open() {
		return Hold{}, Refused("hold #%d on %s is already %s", holdID, h.ReferenceID, h.State)
	}
	return h, nil
}

// Released is what releasing a hold did.
type Released struct {
	Hold   Hold
	Queued bool   // the payout had no other open hold and goes to the submission queue
	Answer string // when refused by a gate, its answer
}

// ReleaseHold releases an open hold for a compliance user, four-eyes
// (payout.FourEyes): not a user who placed it or added to its evidence.
// The gates are evaluated again and recorded; a release whose own gate still fails, or
// that would leave a failing gate without a hold, is refused with the gate's
// answer (ErrRefused), and only the evaluations are kept. When no other hold
// is open the payout goes back to QUEUED for the submission worker.
func (s *Store) ReleaseHold(ctx context.Context, holdID int64, by Actor, note string, policy payout.Policy) (Released, error) {
	var res Released
	var refusedErr error
	err := s.WithTx(ctx, func(q Querier) error {
		h, err := lockHold(ctx, q, holdID)
		if err != nil {
			return err
		}
		if why := payout.FourEyes(by.UserID, h.Hands()); why != "" {
			return &refusal{kind: ErrFourEyes, msg: fmt.Sprintf("hold #%d: %s; another compliance user must release it", holdID, why)}
		}
		in, err := gateInput(ctx, q, h.PayoutID, holdID)
		if err != nil {
			return err
		}
		evals := policy.Evaluate(in)
		if _, err := recordEvaluations(ctx, q, h.PayoutID, evals, "release", by.Name, nil); err != nil {
			return err
		}
		var open []payout.Reason
		if err := q.SelectContext(ctx, &open, `SELECT reason FROM holds WHERE payout_id = $1 AND state = 'open' AND id <> $2`, h.PayoutID, holdID); err != nil {
			return fmt.Errorf("store: holds of payout %d: %w", h.PayoutID, err)
		}
		for _, f := range payout.Failures(evals) {
			covered := false
			for _, r := range open {
				covered = covered || (r == f.Gate && f.Gate != h.Reason)
			}
			if !covered {
				res = Released{Hold: h, Answer: f.Answer}
				refusedErr = Refused("release refused: %s", f.Answer)
				return audit(ctx, q, by.Name, "hold.release_refused", "payout", h.ReferenceID,
					map[string]any{"hold": holdID, "gate": f.Gate, "answer": f.Answer, "note": note})
			}
		}
		if err := decideHold(ctx, q, holdID, "released", by, note); err != nil {
			return err
		}
		if err := audit(ctx, q, by.Name, "hold.release", "payout", h.ReferenceID,
			map[string]any{"hold": holdID, "reason": h.Reason, "note": note}); err != nil {
			return err
		}
		res = Released{Hold: h, Queued: len(open) == 0}
		if !res.Queued {
			return outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldReleased)
		}
		// Back to the queue, with a fresh count of attempts: the release
		// answers whatever stopped the last ones.
		if _, err := q.ExecContext(ctx, `UPDATE payouts SET next_submit_at = now(), submit_attempts = 0, last_submit_error = ''
			WHERE id = $1`, h.PayoutID); err != nil {
			return fmt.Errorf("store: queue payout %d: %w", h.PayoutID, err)
		}
		if err := setStatus(ctx, q, h.PayoutID, payout.Held, payout.Queued, payout.SourceManual, by.Name,
			fmt.Sprintf("released by %s: %s", by.Name, note)); err != nil {
			return err
		}
		return outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldReleased)
	})
	if err != nil {
		return Released{}, err
	}
	return res, refusedErr
}

func decideHold(ctx context.Context, q Querier, holdID int64, state string, by Actor, note string) error {
	_, err := q.ExecContext(ctx, `
		UPDATE holds SET state = $2, decided_by = $3, decided_by_user_id = $4, decided_at = now(), decision_note = $5
		WHERE id = $1`, holdID, state, by.Name, by.userID(), note)
	if err != nil {
		return fmt.Errorf("store: %s hold %d: %w", state, holdID, err)
	}
	return nil
}

// RejectHold rejects a hold for a compliance user: the payout becomes
// CANCELLED, nothing is sent, and its other open holds close with it.
func (s *Store) RejectHold(ctx context.Context, holdID int64, by Actor, note string) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		var unknown bool
		if err := q.GetContext(ctx, &unknown, `SELECT submit_outcome_unknown FROM payouts WHERE id = $1`, h.PayoutID); err != nil {
			return fmt.Errorf("store: payout of hold %d: %w", holdID, err)
		}
		if unknown {
			return Refused("%s may have the payout: its last submission got no clear answer. Release it instead (resending "+
				"under the same reference cannot pay twice) and let the provider's answer decide", h.Provider)
		}
		if err := decideHold(ctx, q, holdID, "rejected", by, note); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `
			UPDATE holds SET state = 'rejected', decided_by = $3, decided_by_user_id = $4, decided_at = now(), decision_note = $5
			WHERE payout_id = $1 AND state = 'open' AND id <> $2`,
			h.PayoutID, holdID, by.Name, by.userID(), fmt.Sprintf("payout rejected through hold #%d", holdID))
		if err != nil {
			return fmt.Errorf("store: close holds of payout %d: %w", h.PayoutID, err)
		}
		if err := audit(ctx, q, by.Name, "hold.reject", "payout", h.ReferenceID,
			map[string]any{"hold": holdID, "reason": h.Reason, "note": note}); err != nil {
			return err
		}
		if err := outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldRejected); err != nil {
			return err
		}
		return setStatus(ctx, q, h.PayoutID, h.PayoutStatus, payout.Cancelled, payout.SourceManual, by.Name,
			fmt.Sprintf("rejected by %s: %s", by.Name, note))
	})
}

// ReassignHold gives an open hold to another active user.
func (s *Store) ReassignHold(ctx context.Context, holdID, ownerID int64, by Actor, note string) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		var owner string
		err := q.GetContext(ctx, &owner, `SELECT name FROM users WHERE id = $1 AND disabled_at IS NULL`, ownerID)
		if errors.Is(err, errNoRows) {
			return Refused("there is no active user #%d to give hold #%d to", ownerID, holdID)
		}
		if err != nil {
			return fmt.Errorf("store: owner %d: %w", ownerID, err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE holds SET owner_id = $2 WHERE id = $1`, holdID, ownerID); err != nil {
			return fmt.Errorf("store: reassign hold %d: %w", holdID, err)
		}
		return audit(ctx, q, by.Name, "hold.reassign", "payout", h.ReferenceID,
			map[string]any{"hold": holdID, "from": h.OwnerName, "to": owner, "note": note})
	})
}

// EscalateHold gives an open hold to its reason's next owner and marks it
// escalated.
func (s *Store) EscalateHold(ctx context.Context, holdID int64, by Actor, note string) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		var next struct {
			ID   *int64  `db:"next_owner_id"`
			Name *string `db:"name"`
		}
		err := q.GetContext(ctx, &next, `SELECT r.next_owner_id, u.name FROM hold_reasons r
			LEFT JOIN users u ON u.id = r.next_owner_id WHERE r.reason = $1`, h.Reason)
		if err != nil {
			return fmt.Errorf("store: next owner of %s: %w", h.Reason, err)
		}
		if next.ID == nil {
			return Refused("no escalation owner is set for %q holds: an admin sets one under Hold owners", h.ReasonLabel)
		}
		if h.OwnerID != nil && *h.OwnerID == *next.ID {
			return Refused("hold #%d is already with the escalation owner, %s", holdID, *next.Name)
		}
		if _, err := q.ExecContext(ctx, `UPDATE holds SET owner_id = $2, escalated_at = coalesce(escalated_at, now()) WHERE id = $1`,
			holdID, *next.ID); err != nil {
			return fmt.Errorf("store: escalate hold %d: %w", holdID, err)
		}
		return audit(ctx, q, by.Name, "hold.escalate", "payout", h.ReferenceID,
			map[string]any{"hold": holdID, "from": h.OwnerName, "to": *next.Name, "note": note})
	})
}

// AddEvidence adds a note or link to an open hold. A new tax artifact
// state, when given, updates the beneficiary's: the next release evaluates
// the tax gate on it.
func (s *Store) AddEvidence(ctx context.Context, holdID int64, by Actor, note, url string, tax payout.TaxArtifact) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		kind := "note"
		if url != "" {
			kind = "link"
		}
		if tax != "" {
			if h.Reason != payout.ReasonTax {
				return Refused("a tax artifact's state is recorded on the payout's tax hold, not on a %q hold", h.ReasonLabel)
			}
			kind = "tax_artifact"
			note = "tax artifact now " + strings.ReplaceAll(string(tax), "_", " ") + ": " + note
			_, err := q.ExecContext(ctx, `UPDATE beneficiaries SET tax_artifact = $2
				WHERE id = (SELECT beneficiary_id FROM payouts WHERE id = $1)`, h.PayoutID, tax)
			if err != nil {
				return fmt.Errorf("store: tax artifact of payout %d: %w", h.PayoutID, err)
			}
		}
		if err := addEvidence(ctx, q, holdID, kind, note, url, by, nil); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "hold.evidence", "payout", h.ReferenceID,
			map[string]any{"hold": holdID, "kind": kind, "note": note, "url": url})
	})
}

// EscalateOverdue marks open holds past their SLA as escalated, gives them
// to their reason's next owner when one is set, and returns how many.
func (s *Store) EscalateOverdue(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.WithTx(ctx, func(q Querier) error {
		// Payouts first, in id order, then holds: the order every writer of
		// both takes, so this never deadlocks with a release or reject.
		_, err := q.ExecContext(ctx, `SELECT p.id FROM payouts p WHERE p.id IN (
				SELECT payout_id FROM holds WHERE state = 'open' AND escalated_at IS NULL AND sla_due_at < $1)
			ORDER BY p.id FOR UPDATE`, now)
		if err != nil {
			return fmt.Errorf("store: lock payouts of overdue holds: %w", err)
		}
		var rows []struct {
			ID  int64  `db:"id"`
			Ref string `db:"reference_id"`
		}
		err = q.SelectContext(ctx, &rows, `
			UPDATE holds h SET escalated_at = $1, owner_id = coalesce(r.next_owner_id, h.owner_id)
			FROM hold_reasons r, payouts p
			WHERE r.reason = h.reason AND p.id = h.payout_id
				AND h.state = 'open' AND h.escalated_at IS NULL AND h.sla_due_at < $1
			RETURNING h.id, p.reference_id`, now)
		if err != nil {
			return fmt.Errorf("store: escalate overdue holds: %w", err)
		}
		for _, r := range rows {
			if err := audit(ctx, q, "sla-escalator", "hold.escalate", "payout", r.Ref,
				map[string]any{"hold": r.ID, "note": "past its SLA"}); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

// HoldReason is a hold reason's configuration.
type HoldReason struct {
	Reason        payout.Reason `db:"reason"`
	Label         string        `db:"label"`
	OwnerID       *int64        `db:"owner_id"`
	OwnerName     string        `db:"owner_name"`
	NextOwnerID   *int64        `db:"next_owner_id"`
	NextOwnerName string        `db:"next_owner_name"`
	SLAMinutes    int           `db:"sla_minutes"`
	UpdatedBy     string        `db:"updated_by"`
	UpdatedAt     time.Time     `db:"updated_at"`
}

// HoldReasons returns every hold reason's configuration in page order.
func (s *Store) HoldReasons(ctx context.Context) ([]HoldReason, error) {
	var out []HoldReason
	err := s.db.SelectContext(ctx, &out, `
		SELECT r.reason, r.label, r.owner_id, coalesce(o.name, '') AS owner_name, r.next_owner_id,
			coalesce(n.name, '') AS next_owner_name, r.sla_minutes, r.updated_by, r.updated_at
		FROM hold_reasons r LEFT JOIN users o ON o.id = r.owner_id LEFT JOIN users n ON n.id = r.next_owner_id
		ORDER BY r.position`)
	if err != nil {
		return nil, fmt.Errorf("store: hold reasons: %w", err)
	}
	return out, nil
}

// HoldReasonChange is a new configuration of one hold reason.
type HoldReasonChange struct {
	Reason      payout.Reason
	OwnerID     *int64
	NextOwnerID *int64
	SLAMinutes  int
}

// UpdateHoldReasons sets reasons' default owners, escalation owners and
// SLAs, all in one transaction. Open holds keep their owner and due time.
func (s *Store) UpdateHoldReasons(ctx context.Context, by Actor, changes []HoldReasonChange) error {
	return s.WithTx(ctx, func(q Querier) error {
		for _, c := range changes {
			if c.SLAMinutes <= 0 {
				return Refused("the SLA must be a positive number of hours")
			}
			res, err := q.ExecContext(ctx, `
				UPDATE hold_reasons SET owner_id = $2, next_owner_id = $3, sla_minutes = $4, updated_by = $5, updated_at = now()
				WHERE reason = $1`, c.Reason, c.OwnerID, c.NextOwnerID, c.SLAMinutes, by.Name)
			var pqErr *pq.Error
			if errors.As(err, &pqErr) && pqErr.Code == "23503" {
				return Refused("there is no such user to own %q holds", c.Reason)
			}
			if err != nil {
				return fmt.Errorf("store: hold reason %s: %w", c.Reason, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("store: hold reason %s: %w", c.Reason, ErrNotFound)
			}
			if err := audit(ctx, q, by.Name, "hold_reason.update", "hold_reason", string(c.Reason),
				map[string]any{"owner_id": c.OwnerID, "next_owner_id": c.NextOwnerID, "sla_minutes": c.SLAMinutes}); err != nil {
				return err
			}
		}
		return nil
	})
}

// HoldByID returns one hold, or ErrNotFound.
func (s *Store) HoldByID(ctx context.Context, id int64) (Hold, error) {
	var h Hold
	if err := s.db.GetContext(ctx, &h, holdSelect+`WHERE h.id = $1`, id); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", id, mapErr(err))
	}
	return h, nil
}
