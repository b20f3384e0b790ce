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
	// ErrSignedOff: the reconciliation day's latest version is signed off,
	// and running it again was not confirmed (Reconcile). It is also an
	// ErrRefused.
	ErrSignedOff = errors.New("reconciliation day signed off")
)

// refusal is an ErrRefused, ErrFourEyes or ErrSignedOff with the
// operator's message.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Is(target error) bool {
	return target == r.kind || (r.kind == ErrSignedOff && target == ErrRefused)
}

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
	// LastEvidenceID is its newest evidence's id (0 for none): what a page
	// showing it says it showed, for decidedOnWhatWasShown.
	LastEvidenceID int64 `db:"last_evidence_id"`
	// The users who gave an approval the hold's approval rule asked for.
	ApproverIDs pq.Int64Array `db:"approver_ids"`

	ReferenceID     string        `db:"reference_id"`
	Provider        string        `db:"provider"`
	Livemode        bool          `db:"livemode"` // the payout's
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
	return payout.HoldHands{PlacedBy: h.PlacedByUserID, EvidenceBy: h.EvidenceUserIDs, ApprovedBy: h.ApproverIDs}
}

// Open reports whether the hold still stops its payout.
func (h Hold) Open() bool { return h.State == "open" }

// entity is the hold's payout's entity id in the audit log (payoutEntity).
func (h Hold) entity() string { return payoutEntity(h.ReferenceID, h.Livemode) }

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
		ARRAY(SELECT a.user_id FROM hold_approvals a WHERE a.hold_id = h.id ORDER BY a.seq) AS approver_ids,
		coalesce((SELECT max(e.id) FROM hold_evidence e WHERE e.hold_id = h.id), 0) AS last_evidence_id,
		p.reference_id, p.provider, p.amount_minor, p.currency, p.status AS payout_status, p.livemode,
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
		SELECT $1, r.reason, $3, $4, u.id, $5, $6, coalesce($7, now()),
			coalesce($7, now()) + make_interval(mins => r.sla_minutes)
		FROM hold_reasons r LEFT JOIN users u ON u.id = r.owner_id AND u.disabled_at IS NULL AND `+mayWorkHolds+`
		WHERE r.reason = $2
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
	var entity string
	if err := q.GetContext(ctx, &entity, `SELECT `+payoutEntitySQL+` FROM payouts p WHERE p.id = $1`, id); err != nil {
		return 0, fmt.Errorf("store: hold payout %d: %w", id, err)
	}
	return holdID, audit(ctx, q, by.Name, "hold.place", "payout", entity, map[string]any{"hold": holdID, "reason": reason, "detail": detail})
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
func (s *Store) OpenHolds(ctx context.Context, f HoldFilter) ([]Hold, QueueCounts, error) {
	where := `WHERE h.state = 'open' AND ($1 = '' OR h.reason = $1) AND ` + fmt.Sprintf(holdsOfMode, "$3") + `
		AND ($2 = 0 OR ($2 = -1 AND h.owner_id IS NULL) OR h.owner_id = $2) `
	var c QueueCounts
	if err := s.db.GetContext(ctx, &c, `SELECT count(*) AS open,
			count(*) FILTER (WHERE h.sla_due_at < $4 OR h.escalated_at IS NOT NULL) AS overdue FROM holds h `+where,
		f.Reason, f.OwnerID, f.Test, f.Now); err != nil {
		return nil, c, fmt.Errorf("store: count holds: %w", err)
	}
	var out []Hold
	err := s.db.SelectContext(ctx, &out, holdSelect+where+`
		ORDER BY (h.escalated_at IS NOT NULL OR h.sla_due_at < $4) DESC, h.sla_due_at, h.id LIMIT $5 OFFSET $6`,
		f.Reason, f.OwnerID, f.Test, f.Now, f.Limit, f.Offset)
	if err != nil {
		return nil, c, fmt.Errorf("store: holds: %w", err)
	}
	return out, c, nil
}

// QueueCounts is how many holds (or exception cases) are open, and how
// many of them are overdue: past their SLA, or escalated already.
type QueueCounts struct {
	Open    int `db:"open"`
	Overdue int `db:"overdue"`
}

// CountHolds counts the open and overdue holds of live payouts, or of test
// payouts when test.
func (s *Store) CountHolds(ctx context.Context, now time.Time, test bool) (QueueCounts, error) {
	var c QueueCounts
	err := s.db.GetContext(ctx, &c, `
		SELECT count(*) AS open, count(*) FILTER (WHERE sla_due_at < $1 OR escalated_at IS NOT NULL) AS overdue
		FROM holds h WHERE state = 'open' AND `+fmt.Sprintf(holdsOfMode, "$2"), now, test)
	if err != nil {
		return QueueCounts{}, fmt.Errorf("store: count holds: %w", err)
	}
	return c, nil
}
