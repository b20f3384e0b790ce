package payout

import "fmt"

// FailureClass says what kind of trouble a payout that FAILED after sending
// is in, from the provider's failure code, so it goes to the person who can
// fix it (seed 004: "classify the failure, route it to the right owner").
// Each adapter keeps the table of its provider's codes.
type FailureClass string

// The failure classes.
const (
	// FailFunding: our account at the provider could not fund the payout.
	// Seed 004: "Funding state issue, not a transport glitch ... Hold and
	// resolve funding before resend".
	FailFunding FailureClass = "funding"
	// FailBeneficiary: the beneficiary's account is wrong, closed or cannot
	// take the money.
	FailBeneficiary FailureClass = "beneficiary"
	// FailRequest: something in the request itself was invalid. Seed 004:
	// "Request/data problem that needs correction".
	FailRequest FailureClass = "request"
	// FailAuth: credentials or permissions. Seed 004: "Stop retries; fix
	// auth/config first".
	FailAuth FailureClass = "auth"
	// FailTransient: the provider, the bank network or the destination bank
	// was down or erred for a while; nothing in the payout was wrong.
	FailTransient FailureClass = "transient"
	// FailUnknown: no code, a code the provider's table does not know, or a
	// code that by its own definition says nothing (a manual review).
	FailUnknown FailureClass = "unknown"
)

// FailureClasses lists every class in the order pages show them.
var FailureClasses = []FailureClass{FailFunding, FailBeneficiary, FailRequest, FailAuth, FailTransient, FailUnknown}

var failureLabels = map[FailureClass]string{
	FailFunding:     "funding",
	FailBeneficiary: "beneficiary or account",
	FailRequest:     "request",
	FailAuth:        "authentication",
	FailTransient:   "provider or transient",
	FailUnknown:     "unknown",
}

// ParseFailureClass returns the class named s, or an error.
func ParseFailureClass(s string) (FailureClass, error) {
	if _, ok := failureLabels[FailureClass(s)]; !ok {
		return "", fmt.Errorf("unknown failure class %q", s)
	}
	return FailureClass(s), nil
}

// Label returns the class as the pages name it: "beneficiary or account".
func (c FailureClass) Label() string {
	if l, ok := failureLabels[c]; ok {
		return l
	}
	return string(c)
}

// ResubmitAsNew reports whether a payout failed for this class may be sent
// again as a new instruction, with a new reference, once corrected: true for
// request and beneficiary failures. Seed 004: "Correct the request, then
// resubmit as a new instruction if payload changes". The failed payout's
// reference is never reused: "If the body changes, treat it as a new
// instruction and preserve the prior trail."
func (c FailureClass) ResubmitAsNew() bool {
	return c == FailRequest || c == FailBeneficiary
}

// NextStep says what a failed payout of this class needs next, as seed 004's
// table has it: hold and resolve funding before it goes again, stop and fix
// credentials, correct the request or the beneficiary and send it as a new
// instruction, wait out a transient failure, ask the provider when nothing
// says why.
func (c FailureClass) NextStep() string {
	switch c {
	case FailFunding:
		return "Resolve funding first: top up payops' account at the provider, then the platform sends it again " +
			"(a new reference), or resolve the case with a note."
	case FailBeneficiary:
		return "Correct the beneficiary's account and press Send again: a new instruction, and a second person " +
			"confirms a changed account."
	case FailRequest:
		return "Correct what the provider refused in the request and press Send again: a new instruction."
	case FailAuth:
		return "Stop: an admin fixes payops' credentials or permissions for the provider first; every payout through " +
			"it fails until then. Nobody was paid."
	case FailTransient:
		return "Nothing in the payout was wrong: the provider or the bank was down. Re-check; once it has recovered " +
			"the platform sends it again, or resolve the case with a note."
	case FailUnknown:
		return "Nothing says why: ask the provider, quoting its reference, and resolve the case with what it said."
	}
	return ""
}
