package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// appliedFacts are what apply knows of the payout it applies to, for the
// cases it opens in its transaction.
type appliedFacts struct {
	id            int64
	ref, provider string
	livemode      bool
	status        payout.Status // after the observation
	amount        payout.Money
}

func (f appliedFacts) evidence() map[string]any {
	return map[string]any{"reference_id": f.ref, "provider": f.provider, "amount": f.amount.String(),
		"status": f.status}
}

// openAmountCase opens a payout.CaseAmountMismatch case on the payout (one
// while open): ours, theirs, the difference, and the provider's own words.
// The payout's status follows the provider all the same (README: Amounts
// are checked): the money moved as the provider says; the case is where
// the difference is settled.
func openAmountCase(ctx context.Context, q Querier, f appliedFacts, m payout.AmountMismatch, obs payout.Observation,
	d payout.Decision, deliveryID *int64) error {
	ev := f.evidence()
	for k, v := range m.Evidence() {
		ev[k] = v
	}
	ev["provider_says"], ev["observed"], ev["source"], ev["decision"] = obs.RawStatus, obs.Status, obs.Source, d
	if !obs.At.IsZero() {
		ev["observed_at"] = obs.At.UTC().Format(time.RFC3339)
	}
	if deliveryID != nil {
		ev["delivery"] = *deliveryID
	}
	if obs.ProviderPayoutID != "" {
		ev["provider_payout_id"] = obs.ProviderPayoutID
	}
	if obs.FailureReason != "" {
		ev["failure_reason"] = obs.FailureReason
	}
	// A difference someone settled already (the case closed) is not opened
	// again by every later look that still carries the same amount: the
	// settled re-check asks for two days.
	var settled bool
	if err := q.GetContext(ctx, &settled, `SELECT EXISTS (SELECT 1 FROM exception_cases WHERE payout_id = $1
			AND kind = 'amount_mismatch' AND state <> 'open' AND evidence->>'theirs_minor' = $2
			AND evidence->>'theirs_currency' = $3)`, f.id, fmt.Sprint(m.Theirs.Minor), m.Theirs.Currency); err != nil {
		return fmt.Errorf("store: settled amount cases of payout %d: %w", f.id, err)
	}
	if settled {
		return nil
	}
	id := f.id
	_, err := OpenCase(ctx, q, NewCase{Kind: payout.CaseAmountMismatch, Subject: fmt.Sprintf("payout:%d", f.id), PayoutID: &id,
		Summary: m.Summary(f.ref, f.provider), Evidence: ev, Livemode: f.livemode})
	return err
}

// openApprovalCase opens a payout.CasePendingApproval case on a payout the
// provider holds for an approval in its own workflow: nobody at payops can
// move it, someone with access to the provider's dashboard must approve or
// reject it. It closes by itself when the payout is no longer pending there
// (closeClearedCases).
func openApprovalCase(ctx context.Context, q Querier, f appliedFacts, state, reason string) error {
	ev := f.evidence()
	ev["provider_says"], ev["provider_state_reason"] = state, reason
	id := f.id
	summary := fmt.Sprintf("%s waits for approval inside %s: approve or reject it there (Re-check shows whether that has happened)", f.ref,
		payout.ProviderLabel(f.provider))
	_, err := OpenCase(ctx, q, NewCase{Kind: payout.CasePendingApproval, Subject: fmt.Sprintf("payout:%d", f.id),
		PayoutID: &id, Summary: summary, Evidence: ev, Livemode: f.livemode})
	return err
}
