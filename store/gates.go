package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"payops/payout"
)

// Actor is who does something: a dashboard user (UserID set) or a part of
// payops or the platform ("api:shop", "submitter"), by Name.
type Actor struct {
	UserID int64
	Name   string
}

func (a Actor) userID() *int64 {
	if a.UserID == 0 {
		return nil
	}
	return &a.UserID
}

// GateEvaluation is one recorded evaluation of a release gate.
type GateEvaluation struct {
	ID          int64           `db:"id"`
	Gate        payout.Reason   `db:"gate"`
	Rule        string          `db:"rule"`
	Inputs      json.RawMessage `db:"inputs"`
	Passed      bool            `db:"passed"`
	Answer      string          `db:"answer"`
	Occasion    string          `db:"occasion"`
	Actor       string          `db:"actor"`
	EvaluatedAt time.Time       `db:"evaluated_at"`
}

// recordEvaluations stores evals for payout id, made at at (nil for the
// transaction's time), and returns the ids of the failed ones by gate, for
// the holds they cause.
func recordEvaluations(ctx context.Context, q Querier, id int64, evals []payout.Evaluation, occasion, actor string,
	at *time.Time) (map[payout.Reason]int64, error) {
	failed := map[payout.Reason]int64{}
	for _, e := range evals {
		inputs, err := json.Marshal(e.Inputs)
		if err != nil {
			return nil, fmt.Errorf("store: gate inputs: %w", err)
		}
		var evalID int64
		err = q.GetContext(ctx, &evalID, `
			INSERT INTO gate_evaluations (payout_id, gate, rule, inputs, passed, answer, occasion, actor, evaluated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now())) RETURNING id`,
			id, e.Gate, e.Rule, jsonArg(inputs), e.Passed, e.Answer, occasion, actor, at)
		if err != nil {
			return nil, fmt.Errorf("store: record gate %s for payout %d: %w", e.Gate, id, err)
		}
		if !e.Passed {
			failed[e.Gate] = evalID
		}
	}
	return failed, nil
}

// gateInput reads what the gates look at for payout id inside q, counting
// hold except as released (the hold being released, or 0).
func gateInput(ctx context.Context, q Querier, id, releasing int64) (payout.GateInput, error) {
	var row struct {
		AmountMinor int64              `db:"amount_minor"`
		Currency    string             `db:"currency"`
		Market      string             `db:"market"`
		Program     string             `db:"program"`
		Provider    string             `db:"provider"`
		Livemode    bool               `db:"livemode"`
		Name        string             `db:"name"`
		HasAccount  bool               `db:"has_account"`
		IFSC        string             `db:"ifsc"`
		BankCode    string             `db:"bank_code"`
		BankName    string             `db:"bank_name"`
		TaxArtifact payout.TaxArtifact `db:"tax_artifact"`
		Approved    []byte             `db:"approved"`
		FundingHold bool               `db:"funding_hold"`
	}
	err := q.GetContext(ctx, &row, `
		SELECT p.amount_minor, p.currency, p.market, p.program, p.provider, p.livemode, b.name, b.account_number <> '' AS has_account, b.ifsc,
			b.bank_code, b.bank_name, b.tax_artifact,
			(SELECT coalesce(json_agg(DISTINCT h.reason), '[]') FROM holds h
			 WHERE h.payout_id = p.id AND (h.state = 'released' OR h.id = $2)) AS approved,
			EXISTS (SELECT 1 FROM holds h WHERE h.payout_id = p.id AND h.state = 'open'
			        AND h.reason = 'insufficient_funds' AND h.id <> $2) AS funding_hold
		FROM payouts p JOIN beneficiaries b ON b.id = p.beneficiary_id WHERE p.id = $1`, id, releasing)
	if err != nil {
		return payout.GateInput{}, fmt.Errorf("store: gate input of payout %d: %w", id, mapErr(err))
	}
	var approved []payout.Reason
	if err := json.Unmarshal(row.Approved, &approved); err != nil {
		return payout.GateInput{}, fmt.Errorf("store: approvals of payout %d: %w", id, err)
	}
	launch, err := marketLaunch(ctx, q, row.Market, row.Program)
	if err != nil {
		return payout.GateInput{}, err
	}
	in := payout.GateInput{
		Amount: payout.Money{Minor: row.AmountMinor, Currency: row.Currency},
		Market: row.Market,
		Launch: launch,
		Test:   !row.Livemode,
		Beneficiary: payout.Beneficiary{Name: row.Name, IFSC: row.IFSC, BankCode: row.BankCode, BankName: row.BankName,
			TaxArtifact: row.TaxArtifact},
		Approved:    map[payout.Reason]bool{},
		FundingHold: row.FundingHold,
	}
	if row.HasAccount {
		in.Beneficiary.AccountNumber = "given" // the gates ask only whether there is one
	}
	for _, r := range approved {
		in.Approved[r] = true
	}
	return in, nil
}

// GateEvaluationsFor returns a payout's gate evaluations, oldest first.
func (s *Store) GateEvaluationsFor(ctx context.Context, payoutID int64) ([]GateEvaluation, error) {
	var out []GateEvaluation
	err := selectFast(ctx, s.q(), &out, `
		SELECT id, gate, rule, inputs, passed, answer, occasion, actor, evaluated_at
		FROM gate_evaluations WHERE payout_id = $1 ORDER BY id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: gate evaluations of payout %d: %w", payoutID, err)
	}
	return out, nil
}

// setStatus moves payout id from one of payops' own states to another (held,
// released, rejected: no provider said so) with an event on its timeline
// and an outbound event for the platform.
func setStatus(ctx context.Context, q Querier, id int64, from, to payout.Status, source payout.Source, actor, detail string) error {
	_, err := q.ExecContext(ctx, `UPDATE payouts SET status = $2, updated_at = now() WHERE id = $1`, id, to)
	if err != nil {
		return fmt.Errorf("store: payout %d to %s: %w", id, to, err)
	}
	obs := payout.Observation{Source: source, Status: to, Actor: actor}
	if err := insertEvent(ctx, q, id, obs, from, string(payout.Apply), detail, nil); err != nil {
		return err
	}
	return outboxStatusEvent(ctx, q, id, from, to)
}
