package payout

import (
	"fmt"
	"strings"
	"time"
)

// CaseKind is what went wrong after sending, for an exception case: each
// kind has an owner, an escalation owner and an SLA, as hold reasons do.
// Seed 004: "route rejected, ambiguous, or state-mismatch cases to manual
// review", "classify the failure, route it to the right owner, and keep
// enough evidence".
type CaseKind string

// The exception kinds.
const (
	// CaseAnomaly: a provider reported a state the payout cannot move to
	// (a SUCCEEDED payout reported FAILED).
	CaseAnomaly CaseKind = "anomaly"
	// CaseOrphanWebhook: a provider's webhook names a payout payops does not
	// know, for longer than OrphanAfter.
	CaseOrphanWebhook CaseKind = "orphan_webhook"
	// CaseFailed: a payout FAILED, REVERSED or CANCELLED at the provider
	// after it was sent (Status.NotPaid), classified by the provider's
	// failure code.
	CaseFailed CaseKind = "failed_after_send"
	// CaseAmountMismatch: an observation's amount or currency differs from
	// the payout's (under- or over-payment).
	CaseAmountMismatch CaseKind = "amount_mismatch"
	// CasePendingApproval: the payout waits for an approval inside the
	// provider (RazorpayX payout.pending); Re-check cannot move it.
	CasePendingApproval CaseKind = "pending_approval"
	// CaseStuckLong: a payout sent but unsettled (QUEUED at the provider or
	// PROCESSING) past StuckLongAfter, or PAYOPS_STUCK_LONG_AFTER.
	CaseStuckLong CaseKind = "stuck_long"
	// CaseReconDifference: a reconciliation difference open past
	// ReconOpenAfter.
	CaseReconDifference CaseKind = "recon_difference"
)

// CaseKinds lists the kinds in the order pages show them.
var CaseKinds = []CaseKind{CaseFailed, CaseAnomaly, CaseAmountMismatch, CasePendingApproval, CaseStuckLong,
	CaseOrphanWebhook, CaseReconDifference}

// The limits after which a condition becomes a case.
const (
	OrphanAfter    = 15 * time.Minute
	StuckLongAfter = 24 * time.Hour
	ReconOpenAfter = 3 * 24 * time.Hour
)

// ParseCaseKind returns the kind named s, or an error.
func ParseCaseKind(s string) (CaseKind, error) {
	for _, k := range CaseKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown exception kind %q", s)
}

// RetryRef returns the reference of the n-th new instruction (1, 2, ...)
// made from a failed payout's: "ORDER-7-R1". It fits the reference's 40
// characters by shortening the original from the right.
func RetryRef(ref string, n int) string {
	suffix := fmt.Sprintf("-R%d", n)
	if i := strings.LastIndex(ref, "-R"); i > 0 && isRetrySuffix(ref[i:]) {
		ref = ref[:i]
	}
	if len(ref)+len(suffix) > 40 {
		ref = ref[:40-len(suffix)]
	}
	return ref + suffix
}

func isRetrySuffix(s string) bool {
	if len(s) < 3 || !strings.HasPrefix(s, "-R") {
		return false
	}
	for _, c := range s[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RetryFix is what an operator corrects before a failed payout is sent
// again as a new instruction: the beneficiary's routing and account, and
// their name. An empty field keeps the failed payout's.
type RetryFix struct {
	Name          string
	AccountNumber string
	IFSC          string
	BankCode      string
}

// RetryRequest returns the new instruction for a failed payout: its request
// with the fix applied under reference ref. Seed 004: "correct the request,
// then resubmit as a new instruction if payload changes" — so a fix that
// changes nothing is refused, and so is one that does not check (a bad
// IFSC, a short account number), naming the field.
func RetryRequest(failed Request, fix RetryFix, ref string) (Request, FieldErrors) {
	r := failed
	r.ReferenceID = ref
	b := &r.Beneficiary
	changed := false
	for _, f := range []struct {
		to   *string
		from string
	}{{&b.Name, fix.Name}, {&b.AccountNumber, fix.AccountNumber}, {&b.IFSC, strings.ToUpper(fix.IFSC)}, {&b.BankCode, fix.BankCode}} {
		v := strings.TrimSpace(f.from)
		if v != "" && v != *f.to {
			*f.to, changed = v, true
		}
	}
	errs := FieldErrors{}
	if !changed {
		errs["beneficiary"] = "nothing was corrected: a new instruction is sent only when its payload changes (seed 004); " +
			"resolve the case instead if the payout should not be sent again"
		return Request{}, errs
	}
	if b.IFSC != "" && !ifscPattern.MatchString(b.IFSC) {
		errs["beneficiary.ifsc"] = "is not an IFSC code: 4 letters, a zero, then 6 letters or digits (HDFC0001234)"
	}
	if !accountPattern.MatchString(b.AccountNumber) {
		errs["beneficiary.account_number"] = "must be 5 to 34 letters or digits, without spaces"
	}
	if b.BankCode != "" && !bankCodePattern.MatchString(b.BankCode) {
		errs["beneficiary.bank_code"] = "must be 2 to 20 letters, digits or _ (BCA, MANDIRI)"
	}
	if len([]rune(b.Name)) > MaxName || HasControl(b.Name) {
		errs["beneficiary.name"] = fmt.Sprintf("must be plain text of at most %d characters", MaxName)
	} else if why := InvisibleRefusal(b.Name); why != "" && b.Name != failed.Beneficiary.Name {
		// A corrected name is new text, held to intake's rule; the failed
		// payout's own, kept, was taken under the rules of its day.
		errs["beneficiary.name"] = why
	}
	if len(errs) > 0 {
		return Request{}, errs
	}
	return r, nil
}

// CaseStandIn is who a market's launch document names for a case of kind k
// about one of its payouts when the kind has no owner of its own: the payout
// support owner (seed 004's "internal owner for payout support", whose
// exception path the document spells out). "" when it names nobody, or for a
// reconciliation difference, which is finance's (StandInRole).
func (o Owners) CaseStandIn(k CaseKind) string {
	if k == CaseReconDifference {
		return ""
	}
	return o.PayoutSupport
}

// StandInRole is the role whose first active user stands in for a case of
// kind k that nobody else is named for: finance for a reconciliation
// difference (finance resolves differences and signs days off), an admin
// for the rest. An admin stands in when the role has nobody active.
func (k CaseKind) StandInRole() Role {
	if k == CaseReconDifference {
		return RoleFinance
	}
	return RoleAdmin
}
