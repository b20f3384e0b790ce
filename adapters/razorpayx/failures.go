package razorpayx

import (
	"payops/adapters"
	"payops/payout"
)

// failureClasses classifies the reasons RazorpayX gives a failed or reversed
// payout, which payops stores as the failure code (status_details.reason).
// Seed 003 names the causes but not their codes: a payout is queued "when
// you do not have sufficient funds ... or when the beneficiary bank/NPCI/
// partner bank is down", and fails "because the beneficiary bank OR NPCI OR
// processing partner bank is down" past the SLA. The spellings are
// RazorpayX's: insufficient_funds as its API errors give it (the adapter
// already reads it), beneficiary_bank_down and gateway_degraded as its
// Intelligent Payouts documents give the queued payout's reason, which a
// payout failed past the SLA carries.
var failureClasses = adapters.FailureTable{
	// Our RazorpayX account has too little balance to fund the payout.
	"insufficient_funds": payout.FailFunding,
	// The beneficiary's bank (or NPCI in front of it) is down and did not
	// recover within RazorpayX's SLA: the bank's outage, not the account.
	"beneficiary_bank_down": payout.FailTransient,
	// RazorpayX's partner bank, the processing gateway, is down or degraded.
	"gateway_degraded": payout.FailTransient,
}

// ClassifyFailure returns the class of a RazorpayX failure reason, compared
// case-insensitively; payout.FailUnknown for "" or a reason the table does
// not know.
func (c *Client) ClassifyFailure(code string) payout.FailureClass {
	return failureClasses.Classify(code)
}

// ClassifyFailure classifies one of the provider's failure codes by its
// table, for payouts whose client is not configured here (demo data, a
// provider switched off since).
func ClassifyFailure(code string) payout.FailureClass { return failureClasses.Classify(code) }
