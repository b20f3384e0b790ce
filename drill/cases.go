package drill

import (
	"context"
	"fmt"

	"payops/adapters/sandbox"
	"payops/payout"
)

// failureCases checks the cases opened after sending against the
// provider's truth: a payout the provider failed, reversed or cancelled
// (payout.Status.NotPaid) has exactly one failed_after_send case and no
// other payout has one (a payout paused by a
// downtime notice, or answered 503 in an outage, failed nothing); no
// payout has an anomaly case, since the drill's provider reports no state
// a payout cannot move to (its forged webhooks must be refused), and a
// webhook it delivers late or out of order — a PROCESSING after FAILED or
// REVERSED — is stale by payout.Decide, not an anomaly.
// failed and anomalies are the cases of each kind by reference.
func (r *Report) failureCases(refs []string, truth map[string]sandbox.Truth, failed, anomalies map[string]int) {
	r.CasesChecked = true
	for _, ref := range refs {
		didFail, n := payout.Status(truth[ref].Status).NotPaid(), failed[ref]
		switch {
		case didFail && n != 1:
			r.MissingFailedCases++
			r.Examples = append(r.Examples, fmt.Sprintf("%s: %s at the provider, %d %s cases, want 1", ref,
				truth[ref].Status, n, payout.CaseFailed))
		case !didFail && n > 0:
			r.StrayCases++
			r.Examples = append(r.Examples, fmt.Sprintf("%s: paid or unsent at the provider (%s), yet %d %s cases", ref,
				orNone(truth[ref].Status), n, payout.CaseFailed))
		}
		if a := anomalies[ref]; a > 0 {
			r.StrayCases++
			r.Examples = append(r.Examples, fmt.Sprintf("%s: %d %s cases, want none", ref, a, payout.CaseAnomaly))
		}
	}
	if len(r.Examples) > 10 {
		r.Examples = r.Examples[:10]
	}
}

func orNone(status string) string {
	if status == "" {
		return "never received"
	}
	return status
}

// checkCases runs the exceptions scan, then checks the failure and anomaly
// cases of the drill's payouts (failureCases).
func (r *Report) checkCases(ctx context.Context, cfg Config, refs []string, truth map[string]sandbox.Truth) error {
	if err := cfg.ScanExceptions(ctx); err != nil {
		return fmt.Errorf("exceptions scan: %w", err)
	}
	failed, err := cfg.Cases(ctx, payout.CaseFailed, refs)
	if err != nil {
		return err
	}
	anomalies, err := cfg.Cases(ctx, payout.CaseAnomaly, refs)
	if err != nil {
		return err
	}
	r.failureCases(refs, truth, failed, anomalies)
	return nil
}
