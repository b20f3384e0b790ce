package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// Case is an exception case: something that went wrong after sending, with
// its evidence, owner and SLA (payout.CaseKind).
type Case struct {
	ID            int64           `db:"id"`
	Kind          payout.CaseKind `db:"kind"`
	KindLabel     string          `db:"kind_label"`
	Subject       string          `db:"subject"`
	PayoutID      *int64          `db:"payout_id"`
	FailureClass  string          `db:"failure_class"`
	Summary       string          `db:"summary"`
	Evidence      json.RawMessage `db:"evidence"`
	Livemode      bool            `db:"livemode"`
	OwnerID       *int64          `db:"owner_id"`
	OwnerName     string          `db:"owner_name"`
	OwnerStandsIn bool            `db:"owner_stands_in"` // a stand-in: the kind has no owner (routeCase)
	OpenedAt      time.Time       `db:"opened_at"`
	SLADueAt      time.Time       `db:"sla_due_at"`
	EscalatedAt   *time.Time      `db:"escalated_at"`
	State         string          `db:"state"`
	ClosedAt      *time.Time      `db:"closed_at"`
	ClosedBy      *string         `db:"closed_by"`
	CloseNote     *string         `db:"close_note"`
	RetryPayoutID *int64          `db:"retry_payout_id"`

	ReferenceID  *string        `db:"reference_id"`
	Provider     *string        `db:"provider"`
	AmountMinor  *int64         `db:"amount_minor"`
	Currency     *string        `db:"currency"`
	PayoutStatus *payout.Status `db:"payout_status"`
	RetryRef     *string        `db:"retry_ref"`
	PayoutLive   bool           `db:"payout_live"` // the payout's mode (its retry's too)
}

// Open reports whether the case still waits for someone.
func (c Case) Open() bool { return c.State == "open" }

const caseSelect = `
	SELECT c.id, c.kind, k.label AS kind_label, c.subject, c.payout_id, c.failure_class, c.summary, c.evidence,
		c.livemode, c.owner_id, coalesce(u.name, '') AS owner_name, c.owner_stands_in, c.opened_at, c.sla_due_at, c.escalated_at,
		c.state, c.closed_at, c.closed_by, c.close_note, c.retry_payout_id,
		p.reference_id, p.provider, p.amount_minor, p.currency, p.status AS payout_status, rp.reference_id AS retry_ref,
		coalesce(p.livemode, c.livemode) AS payout_live
	FROM exception_cases c
	JOIN exception_kinds k ON k.kind = c.kind
	LEFT JOIN payouts p ON p.id = c.payout_id
	LEFT JOIN payouts rp ON rp.id = c.retry_payout_id
	LEFT JOIN users u ON u.id = c.owner_id `

// NewCase is a case to open.
type NewCase struct {
	Kind     payout.CaseKind
	Subject  string // what the case is about, unique among open cases of its kind: "payout:12"
	PayoutID *int64
	Class    payout.FailureClass
	Summary  string
	Evidence map[string]any // the observation, the provider's own words, the payout's facts
	Livemode bool
}

// OpenCase opens a case inside q, owned by its failure class's owner (a
// failed payout's case, when the class has one: ClassOwners), else its
// kind's owner (or a stand-in: routeCase) and due by its SLA, unless one is open for the same kind and
// subject: then it returns 0.
func OpenCase(ctx context.Context, q Querier, c NewCase) (int64, error) {
	ev, err := json.Marshal(c.Evidence)
	if err != nil {
		return 0, fmt.Errorf("store: evidence of a %s case: %w", c.Kind, err)
	}
	var opened struct {
		ID    int64  `db:"id"`
		Owner *int64 `db:"owner_id"`
	}
	err = q.GetContext(ctx, &opened, `
		INSERT INTO exception_cases (kind, subject, payout_id, failure_class, summary, evidence, livemode, owner_id, sla_due_at)
		SELECT k.kind, $2, $3, $4, $5, $6, $7, coalesce(cu.id, u.id), now() + make_interval(mins => k.sla_minutes)
		FROM exception_kinds k LEFT JOIN users u ON u.id = k.owner_id AND u.disabled_at IS NULL
			LEFT JOIN failure_class_owners f ON k.kind = '`+string(payout.CaseFailed)+`' AND f.class = $4
			LEFT JOIN users cu ON cu.id = f.owner_id AND cu.disabled_at IS NULL
		WHERE k.kind = $1
		ON CONFLICT (kind, subject) WHERE state = 'open' DO NOTHING
		RETURNING id, owner_id`, c.Kind, c.Subject, c.PayoutID, string(c.Class), c.Summary, jsonArg(ev), c.Livemode)
	if errors.Is(err, errNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: open %s case on %s: %w", c.Kind, c.Subject, err)
	}
	id := opened.ID
	if err := audit(ctx, q, "system", "exception.open", "exception", fmt.Sprint(id),
		map[string]any{"kind": c.Kind, "subject": c.Subject, "summary": c.Summary, "class": c.Class}); err != nil {
		return 0, err
	}
	if opened.Owner == nil {
		return id, routeCase(ctx, q, id)
	}
	return id, nil
}

// CaseByID returns one case, or ErrNotFound.
func (s *Store) CaseByID(ctx context.Context, id int64) (Case, error) {
	var c Case
	if err := s.db.GetContext(ctx, &c, caseSelect+`WHERE c.id = $1`, id); err != nil {
		return Case{}, fmt.Errorf("store: case %d: %w", id, mapErr(err))
	}
	return c, nil
}

// CasesFor returns a payout's cases, open ones first.
func (s *Store) CasesFor(ctx context.Context, payoutID int64) ([]Case, error) {
	var out []Case
	err := s.db.SelectContext(ctx, &out, caseSelect+`WHERE c.payout_id = $1 ORDER BY c.state <> 'open', c.id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: cases of payout %d: %w", payoutID, err)
	}
	return out, nil
}

// CaseFilter selects open cases for the exceptions queue.
type CaseFilter struct {
	Kind    payout.CaseKind     // "" for every kind
	OwnerID int64               // 0 for anyone's, -1 for unassigned
	Class   payout.FailureClass // a failed payout's failure class; "" for any
	Test    bool                // test payouts' cases instead of live ones
	Limit   int
	Offset  int       // cases to skip, for the pages after the first
	Now     time.Time // what overdue is counted against (zero: now)
}

// OpenCases returns the open cases, escalated and overdue first, then by
// due time, and how many match in all (and of them overdue).
func (s *Store) OpenCases(ctx context.Context, f CaseFilter) ([]Case, QueueCounts, error) {
	where := `WHERE c.state = 'open' AND c.livemode = $1 AND ($2 = '' OR c.kind = $2) AND ($3 = 0 OR ($3 = -1 AND c.owner_id IS NULL) OR c.owner_id = $3)
		AND ($4 = '' OR c.failure_class = $4) `
	var total QueueCounts
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	// Overdue as CountCases counts it, within the filter.
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) AS open,
			count(*) FILTER (WHERE c.sla_due_at < $5 OR c.escalated_at IS NOT NULL) AS overdue
		FROM exception_cases c `+where, !f.Test, f.Kind, f.OwnerID, string(f.Class), now); err != nil {
		return nil, total, fmt.Errorf("store: count cases: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Case
	err := s.db.SelectContext(ctx, &out, caseSelect+where+`ORDER BY c.escalated_at IS NULL, c.sla_due_at, c.id LIMIT $5 OFFSET $6`,
		!f.Test, f.Kind, f.OwnerID, string(f.Class), limit, f.Offset)
	if err != nil {
		return nil, total, fmt.Errorf("store: cases: %w", err)
	}
	return out, total, nil
}

// CaseCounts are the open cases by kind, and how many are overdue.
type CaseCounts struct {
	Open, Overdue int
	ByKind        map[payout.CaseKind]int
}

// CountCases counts the open cases of live payouts (or test ones).
func (s *Store) CountCases(ctx context.Context, now time.Time, test bool) (CaseCounts, error) {
	var rows []struct {
		Kind    payout.CaseKind `db:"kind"`
		N       int             `db:"n"`
		Overdue int             `db:"overdue"`
	}
	// Overdue as on the holds page: past the SLA, or escalated already.
	err := s.db.SelectContext(ctx, &rows, `SELECT kind, count(*) AS n,
			count(*) FILTER (WHERE sla_due_at < $2 OR escalated_at IS NOT NULL) AS overdue
		FROM exception_cases WHERE state = 'open' AND livemode = $1 GROUP BY kind`, !test, now)
	if err != nil {
		return CaseCounts{}, fmt.Errorf("store: count cases: %w", err)
	}
	out := CaseCounts{ByKind: map[payout.CaseKind]int{}}
	for _, r := range rows {
		out.ByKind[r.Kind], out.Open, out.Overdue = r.N, out.Open+r.N, out.Overdue+r.Overdue
	}
	return out, nil
}

// RetryLinks returns the reference of the failed payout p is a new
// instruction for ("" when none), and those of the new instructions made
// from p, oldest first.
func (s *Store) RetryLinks(ctx context.Context, p Payout) (string, []string, error) {
	var of string
	if p.RetryOf != nil {
		if err := s.db.GetContext(ctx, &of, `SELECT reference_id FROM payouts WHERE id = $1`, *p.RetryOf); err != nil {
			return "", nil, fmt.Errorf("store: payout %d: %w", *p.RetryOf, mapErr(err))
		}
	}
	var retries []string
	err := s.db.SelectContext(ctx, &retries, `SELECT reference_id FROM payouts WHERE retry_of = $1 ORDER BY id`, p.ID)
	if err != nil {
		return "", nil, fmt.Errorf("store: retries of payout %d: %w", p.ID, err)
	}
	return of, retries, nil
}

// Routing is a payout's beneficiary as an operator may see it: never the
// whole account number.
type Routing struct {
	Name         string `db:"name"`
	AccountLast4 string `db:"account_last4"`
	IFSC         string `db:"ifsc"`
	BankCode     string `db:"bank_code"`
}

// RoutingOf returns the beneficiary of payout id without its account number.
func (s *Store) RoutingOf(ctx context.Context, id int64) (Routing, error) {
	var r Routing
	err := s.db.GetContext(ctx, &r, `SELECT b.name, b.account_last4, b.ifsc, b.bank_code
		FROM payouts p JOIN beneficiaries b ON b.id = p.beneficiary_id WHERE p.id = $1`, id)
	if err != nil {
		return Routing{}, fmt.Errorf("store: beneficiary of payout %d: %w", id, mapErr(err))
	}
	return r, nil
}

// CloseClearedCases closes the open cases whose condition has cleared: a
// re-check runs it so its case says so at once.
func (s *Store) CloseClearedCases(ctx context.Context) (int, error) { return s.closeClearedCases(ctx) }

// OpenCasesOfPayouts returns the open cases of each of the payouts, in one
// query.
func (s *Store) OpenCasesOfPayouts(ctx context.Context, ids []int64) (map[int64][]Case, error) {
	var cases []Case
	err := s.db.SelectContext(ctx, &cases, caseSelect+`WHERE c.payout_id = ANY($1) AND c.state = 'open' ORDER BY c.id`,
		pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("store: open cases of payouts: %w", err)
	}
	out := map[int64][]Case{}
	for _, c := range cases {
		out[*c.PayoutID] = append(out[*c.PayoutID], c)
	}
	return out, nil
}

// CaseCountsByRef counts the cases of kind, open or not, on each of the
// payouts refs names, by reference; a payout with none is absent. A
// failure drill checks with it that each case it provoked was opened, once,
// and no other: of its test payouts (the drill provider's), not a live
// payout under the same reference.
func (s *Store) CaseCountsByRef(ctx context.Context, kind payout.CaseKind, refs []string) (map[string]int, error) {
	var rows []struct {
		Ref string `db:"reference_id"`
		N   int    `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT p.reference_id, count(*) AS n
		FROM exception_cases c JOIN payouts p ON p.id = c.payout_id
		WHERE c.kind = $1 AND p.reference_id = ANY($2) AND NOT p.livemode GROUP BY p.reference_id`, kind, textArray(refs))
	if err != nil {
		return nil, fmt.Errorf("store: %s cases by reference: %w", kind, err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Ref] = r.N
	}
	return out, nil
}

// OverdueCases returns the open cases of live payouts past their SLA at now
// or escalated, for the case_overdue notice.
func (s *Store) OverdueCases(ctx context.Context, now time.Time) ([]Case, error) {
	var out []Case
	err := s.db.SelectContext(ctx, &out, caseSelect+`WHERE c.state = 'open' AND c.livemode
		AND (c.sla_due_at < $1 OR c.escalated_at IS NOT NULL) ORDER BY c.id`, now)
	if err != nil {
		return nil, fmt.Errorf("store: overdue cases: %w", err)
	}
	return out, nil
}
