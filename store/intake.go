package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"payops/payout"
)

// ErrIdempotency is returned when a reference id comes again with a
// different request; its message names the first field that differs.
var ErrIdempotency = errors.New("reference_id reused with a different request")

// IdempotencyError is the ErrIdempotency of one request.
type IdempotencyError struct {
	Field string // the first field that differs
	Ref   string
}

func (e *IdempotencyError) Error() string {
	if e.Field == "reference_id" {
		return fmt.Sprintf("reference_id %s is taken by a payout that did not come through the API", e.Ref)
	}
	return fmt.Sprintf("reference_id %s was used before with a different %s; send a new reference_id for a new payout", e.Ref, e.Field)
}

// Is makes errors.Is(err, ErrIdempotency) hold.
func (e *IdempotencyError) Is(target error) bool { return target == ErrIdempotency }

// Intake records a payout the platform asked for, evaluates the release
// gates and records each evaluation, and leaves the payout QUEUED for the
// submission worker or HELD with one hold per failed gate, all in one
// transaction. Idempotent on the reference id: the same request again
// returns created false and changes nothing; a different one is
// ErrIdempotency naming the field. It calls no provider. The payout's
// creation, its gate evaluations, holds and their evidence all carry the
// transaction's time.
func (s *Store) Intake(ctx context.Context, req payout.Request, policy payout.Policy, by Actor) (created bool, err error) {
	return s.IntakeAt(ctx, req, policy, by, time.Time{})
}

// IntakeAt is Intake as of at, for demo data: the payout is created, its
// gates evaluated and its holds placed (with their SLA and evidence) at at
// rather than now. The audit log still says when it was recorded. A zero at
// is now.
func (s *Store) IntakeAt(ctx context.Context, req payout.Request, policy payout.Policy, by Actor,
	at time.Time) (created bool, err error) {
	err = s.WithTx(ctx, func(q Querier) error {
		_, err := intakeIn(ctx, q, req, policy, by, at, nil, nil)
		return err
	})
	if errors.Is(err, ErrConflict) {
		// Asked before, or by a concurrent request that won the insert.
		return false, s.sameRequest(ctx, req)
	}
	return err == nil, err
}

// sameRequest reports whether req asks for the payout already recorded
// under its reference id (nil) or not (ErrIdempotency).
func (s *Store) sameRequest(ctx context.Context, req payout.Request) error {
	var row struct {
		Intake  []byte `db:"intake"`
		Account string `db:"account_number"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT p.intake, b.account_number FROM payouts p
		JOIN beneficiaries b ON b.id = p.beneficiary_id WHERE p.reference_id = $1 AND p.livemode = $2`,
		req.ReferenceID, payout.Livemode(req.Provider))
	if err != nil {
		return fmt.Errorf("store: intake %s: %w", req.ReferenceID, mapErr(err))
	}
	if row.Intake == nil {
		return &IdempotencyError{Field: "reference_id", Ref: req.ReferenceID}
	}
	var prior payout.Request
	if err := json.Unmarshal(row.Intake, &prior); err != nil {
		return fmt.Errorf("store: intake record of %s: %w", req.ReferenceID, err)
	}
	prior.Beneficiary.AccountNumber = row.Account
	if f := req.Differs(prior); f != "" {
		return &IdempotencyError{Field: f, Ref: req.ReferenceID}
	}
	return nil
}

// intakeIn records a payout request inside q (Intake's work) and returns
// the new payout's id; retryOf, when set, is the failed payout it is a new
// instruction for. ErrConflict when the reference id is taken.
func intakeIn(ctx context.Context, q Querier, req payout.Request, policy payout.Policy, by Actor, at time.Time,
	retryOf *int64, redirect *payout.Redirect) (int64, error) {
	var exists bool
	if err := q.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM payouts WHERE reference_id = $1 AND livemode = $2)`,
		req.ReferenceID, payout.Livemode(req.Provider)); err != nil {
		return 0, fmt.Errorf("store: intake %s: %w", req.ReferenceID, err)
	}
	if exists {
		return 0, ErrConflict
	}
	var when *time.Time
	if at.IsZero() {
		// The transaction's time, which the rows below default to: the
		// payout is not created after its holds are placed.
		if err := q.GetContext(ctx, &at, `SELECT now()`); err != nil {
			return 0, fmt.Errorf("store: intake %s: %w", req.ReferenceID, err)
		}
	} else {
		when = &at
	}
	test := !payout.Livemode(req.Provider)
	launch, err := marketLaunch(ctx, q, req.Market, req.ProgramOrDefault())
	if err != nil {
		return 0, err
	}
	in := payout.GateInput{Amount: req.Amount(), Market: req.Market, Launch: launch, Test: test,
		Beneficiary: req.Beneficiary, Redirected: redirect}
	evals := policy.Evaluate(in)
	failed := payout.Failures(evals)
	status := payout.Queued
	if len(failed) > 0 {
		status = payout.Held
	}
	n := NewPayout{
		ReferenceID: req.ReferenceID, Provider: req.Provider, Amount: req.Amount(), Mode: req.Mode,
		Narration: req.Narration, Status: status, Market: req.Market, Program: req.Program, Metadata: req.Metadata, Intake: &req,
		Beneficiary: Beneficiary{Name: req.Beneficiary.Name, AccountNumber: req.Beneficiary.AccountNumber,
			IFSC: req.Beneficiary.IFSC, BankCode: req.Beneficiary.BankCode, BankName: req.Beneficiary.BankName,
			TaxArtifact: req.Beneficiary.TaxArtifact},
		CreatedAt: at, Test: test, RetryOf: retryOf,
	}
	id, err := createPayout(ctx, q, by.Name, n)
	if err != nil {
		return 0, err
	}
	evalIDs, err := recordEvaluations(ctx, q, id, evals, "intake", by.Name, when)
	if err != nil {
		return 0, err
	}
	if len(failed) > 0 {
		if err := holdPayout(ctx, q, id, payout.Held, failed, evalIDs, by, when); err != nil {
			return 0, err
		}
	}
	// payout.created, and for a payout created held payout.held too, each
	// with the payout and its holds.
	if err := outboxPayoutEvent(ctx, q, id, payout.EventPayoutCreated); err != nil {
		return 0, err
	}
	if len(failed) > 0 {
		if err := outboxPayoutEvent(ctx, q, id, payout.EventPayoutHeld); err != nil {
			return 0, err
		}
	}
	// Webhooks that arrived before the payout was recorded (the provider
	// had it first) are applied last, as they would be had they come after:
	// the platform hears payout.created before what they changed, and they
	// are judged against the payout intake made (a held payout was never
	// sent: a report of its outcome is an anomaly for a person).
	return id, adoptOrphans(ctx, q, id)
}
