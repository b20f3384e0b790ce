package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"payops/payout"
)

// Payout is a payout row joined with what pages show of its beneficiary.
// The full account number is not part of it.
type Payout struct {
	ID               int64         `db:"id"`
	ReferenceID      string        `db:"reference_id"`
	Provider         string        `db:"provider"`
	ProviderPayoutID *string       `db:"provider_payout_id"`
	AmountMinor      int64         `db:"amount_minor"`
	Currency         string        `db:"currency"`
	Mode             string        `db:"mode"`
	Narration        string        `db:"narration"`
	Livemode         bool          `db:"livemode"` // false: a test payout (payout.Livemode)
	Status           payout.Status `db:"status"`
	FailureCode      string        `db:"failure_code"`
	FailureReason    string        `db:"failure_reason"`
	UTR              string        `db:"utr"`
	FeeMinor         *int64        `db:"fee_minor"`
	SubmittedAt      *time.Time    `db:"submitted_at"`
	LastCheckedAt    *time.Time    `db:"last_checked_at"`
	CreatedAt        time.Time     `db:"created_at"`
	UpdatedAt        time.Time     `db:"updated_at"`
	BeneficiaryName  string        `db:"beneficiary_name"`
	AccountLast4     string        `db:"account_last4"`
	BankName         string        `db:"bank_name"`
	Market           string        `db:"market"`
	Program          string        `db:"program"`
	RetryOf          *int64        `db:"retry_of"`
	// RetryOfRef and RetriedAs are the references of the failed payout this
	// one sends again and of the payout that sent this one again, read for
	// the platform (apiColumns, the outbox's snapshot) only.
	RetryOfRef      *string    `db:"retry_of_ref"`
	RetriedAs       *string    `db:"retried_as"`
	TaxArtifact     string     `db:"tax_artifact"`
	SubmitAttempts  int        `db:"submit_attempts"`
	NextSubmitAt    *time.Time `db:"next_submit_at"`
	LastSubmitError string     `db:"last_submit_error"`
	// ProviderState is the provider's own word for the payout's state as it
	// last applied ("pending", "queued"), with its reason; PendingApproval
	// says the provider holds it for an approval in its own workflow.
	ProviderState       string `db:"provider_state"`
	ProviderStateReason string `db:"provider_state_reason"`
	PendingApproval     bool   `db:"pending_approval"`
	// OutcomeUnknown says a submission got no clear answer: the provider may
	// have the payout (so a Re-check asks it, HELD or not sent).
	OutcomeUnknown bool `db:"submit_outcome_unknown"`
	// LastAnsweredAt and LastCheckFailed are read by the stuck list only:
	// when the provider last answered a question about the payout, and
	// whether the last question failed, with the failure's words.
	LastAnsweredAt  *time.Time `db:"last_answered_at"`
	LastCheckFailed *string    `db:"last_check_failed"`
	// Metadata is the platform's, as the API took it; only the API's
	// queries select it (nil otherwise).
	Metadata json.RawMessage `db:"metadata"`
}

// Amount returns the payout's amount as Money.
func (p Payout) Amount() payout.Money {
	return payout.Money{Minor: p.AmountMinor, Currency: p.Currency}
}

// ProviderID returns the provider's payout id, or "" before it is known.
func (p Payout) ProviderID() string {
	if p.ProviderPayoutID == nil {
		return ""
	}
	return *p.ProviderPayoutID
}

const payoutColumns = `p.id, p.reference_id, p.provider, p.provider_payout_id, p.amount_minor, p.currency, p.mode,
	p.narration, p.livemode, p.status, p.failure_code, p.failure_reason, p.utr, p.fee_minor, p.submitted_at,
	p.last_checked_at, p.created_at, p.updated_at, p.market, p.program, p.retry_of, p.submit_attempts, p.next_submit_at, p.last_submit_error,
	p.provider_state, p.provider_state_reason, p.pending_approval, p.submit_outcome_unknown,
	b.name AS beneficiary_name, b.account_last4, b.bank_name, b.tax_artifact`

const payoutFrom = ` FROM payouts p JOIN beneficiaries b ON b.id = p.beneficiary_id `

// NewPayout is what it takes to record a payout.
type NewPayout struct {
	ReferenceID      string
	Provider         string
	ProviderPayoutID string // "" until the provider has answered
	Amount           payout.Money
	Mode             string
	Narration        string
	Status           payout.Status
	Beneficiary      Beneficiary
	Market           string          // ISO country; "" is IN
	Program          string          // the market's program; "" is payout.DefaultProgram
	Metadata         json.RawMessage // a JSON object; nil is {}
	Intake           *payout.Request // the API request, when it came through the API
	CreatedAt        time.Time       // zero for now
	// Test makes it a test payout (livemode false), left out of every real
	// view. Intake sets it from the provider (payout.Livemode); seeding and
	// tests say it themselves.
	Test bool
	// RetryOf is the failed payout this one is a new instruction for.
	RetryOf *int64
	// FailureCode and FailureReason are a FAILED payout's, as its provider
	// gave them (demo data and tests; the API's payouts get theirs from
	// the provider).
	FailureCode, FailureReason string
}

// Beneficiary is who receives a payout. AccountNumber is stored whole for the
// provider and never shown.
type Beneficiary struct {
	Name          string
	AccountNumber string
	IFSC          string
	BankCode      string
	BankName      string
	TaxArtifact   payout.TaxArtifact // "" is present
}

// CreatePayout records a payout and its beneficiary in one transaction,
// with an audit row, and returns the payout's id; ErrConflict when the
// reference id is taken. It evaluates no gates: payouts from the API come
// in through Intake.
func (s *Store) CreatePayout(ctx context.Context, actor string, n NewPayout) (int64, error) {
	var id int64
	err := s.WithTx(ctx, func(q Querier) error {
		var err error
		if id, err = createPayout(ctx, q, actor, n); err != nil {
			return err
		}
		// Webhooks may have arrived before the payout was recorded.
		return adoptOrphans(ctx, q, id)
	})
	return id, err
}

func createPayout(ctx context.Context, q Querier, actor string, n NewPayout) (int64, error) {
	tax := n.Beneficiary.TaxArtifact
	if tax == "" {
		tax = payout.TaxPresent
	}
	var benID int64
	err := q.QueryRowxContext(ctx, `
		INSERT INTO beneficiaries (name, account_number, ifsc, bank_code, bank_name, tax_artifact)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		n.Beneficiary.Name, n.Beneficiary.AccountNumber, n.Beneficiary.IFSC, n.Beneficiary.BankCode, n.Beneficiary.BankName, tax,
	).Scan(&benID)
	if err != nil {
		return 0, fmt.Errorf("store: beneficiary for %s: %w", n.ReferenceID, err)
	}
	created := n.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	var ppid *string
	var submitted *time.Time
	if n.ProviderPayoutID != "" {
		ppid, submitted = &n.ProviderPayoutID, &created
	}
	market := n.Market
	if market == "" {
		market = "IN"
	}
	program := n.Program
	if program == "" {
		program = payout.DefaultProgram
	}
	meta := n.Metadata
	if len(meta) == 0 {
		meta = json.RawMessage(`{}`)
	}
	var intake []byte
	if n.Intake != nil {
		if intake, err = json.Marshal(n.Intake); err != nil {
			return 0, fmt.Errorf("store: intake record of %s: %w", n.ReferenceID, err)
		}
	}
	var id int64
	err = q.QueryRowxContext(ctx, `
		INSERT INTO payouts (reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency,
			mode, narration, status, submitted_at, created_at, updated_at, market, metadata, intake, livemode, program, retry_of, failure_code, failure_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
		n.ReferenceID, n.Provider, ppid, benID, n.Amount.Minor, n.Amount.Currency,
		n.Mode, n.Narration, n.Status, submitted, created, market, jsonArg(meta), jsonArg(intake), !n.Test, program, n.RetryOf, n.FailureCode, n.FailureReason,
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create payout %s: %w", n.ReferenceID, mapErr(err))
	}
	if err := audit(ctx, q, actor, "payout.create", "payout", payoutEntity(n.ReferenceID, !n.Test), map[string]any{
		"provider": n.Provider, "amount": n.Amount.Decimal(), "currency": n.Amount.Currency, "status": n.Status,
		"livemode": !n.Test,
	}); err != nil {
		return 0, err
	}
	// The caller adopts the webhooks that arrived before it (adoptOrphans)
	// once the payout is whole: its holds placed, its payout.created
	// written, so that what they changed comes after.
	return id, nil
}

// PayoutByRef returns the payout with our reference id in mode m, or
// ErrNotFound.
func (s *Store) PayoutByRef(ctx context.Context, ref string, m RefMode) (Payout, error) {
	var p Payout
	err := s.db.GetContext(ctx, &p, `SELECT `+payoutColumns+payoutFrom+byRef, refArgs(ref, m)...)
	if err != nil {
		return Payout{}, fmt.Errorf("store: payout %s: %w", ref, mapErr(err))
	}
	return p, nil
}

// StatusCount is how many payouts are in one state.
type StatusCount struct {
	Status payout.Status `db:"status"`
	Count  int           `db:"count"`
}

// StatusCounts counts live payouts by state, or test payouts when test.
// Live payouts are PayoutCounts' folded counts summed over providers (a few
// hundred rows, exact at the query's snapshot), not a read of every payout:
// the overview, every role's first page, would read ten million rows a load.
// Test payouts, which those counts skip, are few (payouts_test_by_created).
// States with none are left out.
func (s *Store) StatusCounts(ctx context.Context, test bool) ([]StatusCount, error) {
	var out []StatusCount
	if test {
		if err := s.db.SelectContext(ctx, &out, `SELECT status, count(*) AS count FROM payouts
			WHERE NOT livemode GROUP BY status`); err != nil {
			return nil, fmt.Errorf("store: status counts: %w", err)
		}
		return out, nil
	}
	byProvider, err := s.PayoutCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range byProvider { // ordered by status
		if c.Count == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Status == c.Status {
			out[n-1].Count += int(c.Count)
		} else {
			out = append(out, StatusCount{Status: c.Status, Count: int(c.Count)})
		}
	}
	return out, nil
}

// drillAlive leaves out drills' payouts older than an hour: no drill runs
// that long, and once it ends its provider is gone, so asking would only
// fail, every time.
const drillAlive = `(p.provider <> '` + payout.DrillProvider + `' OR p.created_at > now() - interval '1 hour')`

// StalePayouts returns up to limit payouts QUEUED or PROCESSING (sent), or
// HELD after a submission with no clear answer, with no
// change since changedBefore and not checked since checkedBefore, least
// recently checked first: the stale re-check's next batch. A payout it has
// checked drops out, so a run goes through each once. Payouts of the
// providers in skip are left out (the drill provider where it is off).
func (s *Store) StalePayouts(ctx context.Context, changedBefore, checkedBefore time.Time, limit int, skip []string) ([]Payout, error) {
	var out []Payout
	// Two ranges, each read by its own index: the open payouts sent, and
	// the held ones the provider may have (payout.DecideHeld), few.
	const due = ` AND p.updated_at < $1 AND (p.last_checked_at IS NULL OR p.last_checked_at < $2)
			AND ` + drillAlive + ` AND p.provider <> ALL($4) ORDER BY p.last_checked_at NULLS FIRST, p.id LIMIT $3`
	err := s.db.SelectContext(ctx, &out, `SELECT * FROM (
		(SELECT `+payoutColumns+payoutFrom+`WHERE p.status IN ('QUEUED', 'PROCESSING') AND p.submitted_at IS NOT NULL`+due+`)
		UNION ALL
		(SELECT `+payoutColumns+payoutFrom+`WHERE p.status = 'HELD' AND `+heldMayHaveSQL+due+`)) s
		ORDER BY s.last_checked_at NULLS FIRST, s.id LIMIT $3`, changedBefore, checkedBefore, limit, textArray(skip))
	if err != nil {
		return nil, fmt.Errorf("store: stale payouts: %w", err)
	}
	return out, nil
}

// SettledPayouts returns up to limit payouts that succeeded between
// settledAfter and settledBefore and are due another look: the provider has
// not answered about them since they succeeded, or their age has more than
// doubled since its last answer (so each is asked about at ages 1, 2, 4,
// 8... times the first, a handful of calls over its window), and not asked
// since checkedBefore. A failed ask counts only for the last: it is tried
// again after that wait, not at the doubled age, which could be past the
// window. A late reversal whose webhook is lost is found this way. Payouts
// of the providers in skip are left out.
func (s *Store) SettledPayouts(ctx context.Context, now, settledAfter, settledBefore, checkedBefore time.Time, limit int,
	skip []string) ([]Payout, error) {
	var out []Payout
	err := s.db.SelectContext(ctx, &out, `SELECT `+payoutColumns+payoutFrom+`
		WHERE p.status = 'SUCCEEDED' AND p.submitted_at IS NOT NULL AND p.updated_at > $2 AND p.updated_at < $3
			AND (p.last_checked_at IS NULL OR p.last_checked_at < $4)
			AND `+drillAlive+`
			AND (p.last_answered_at IS NULL OR $1::timestamptz - p.updated_at > 2 * (p.last_answered_at - p.updated_at))
			AND p.provider <> ALL($6)
		ORDER BY p.updated_at, p.id LIMIT $5`, now, settledAfter, settledBefore, checkedBefore, limit, textArray(skip))
	if err != nil {
		return nil, fmt.Errorf("store: settled payouts: %w", err)
	}
	return out, nil
}

// touchPayout moves payout id's updated time to now, for a change its API
// JSON shows while its state stays (its holds, the retry that names it): a
// platform listing by updated_after sees it. Not for what the JSON does not
// show: the stuck list's age runs from the same time.
func touchPayout(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE payouts SET updated_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: payout %d changed: %w", id, err)
	}
	return nil
}
