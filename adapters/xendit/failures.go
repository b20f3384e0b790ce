package xendit

import (
	"payops/adapters"
	"payops/payout"
)

// failureClasses classifies the seven failure codes seed 002 lists for a
// FAILED payout (data.failure_code), which payops stores as they come.
var failureClasses = adapters.FailureTable{
	// "Client has insufficient balance for the payout amount": our Xendit
	// balance, to be topped up before the payout is sent again.
	"INSUFFICIENT_BALANCE": payout.FailFunding,
	// "The recipient account does not exist/is invalid."
	"INVALID_DESTINATION": payout.FailBeneficiary,
	// "An error from the destination channel ... usually because of network
	// issues associated with the destination bank or issues crediting funds
	// into the destination bank account": either a passing outage or the
	// beneficiary's account, the code does not say which — a manual review
	// (seed 004: "ambiguous ... cases"), not routed as an outage that passes.
	"REJECTED_BY_CHANNEL": payout.FailUnknown,
	// "The channel networks are experiencing a temporary error."
	"TEMPORARY_TRANSFER_ERROR": payout.FailTransient,
	// "A fatal error ... Normally, this means that certain API fields in
	// your request are invalid."
	"TRANSFER_ERROR": payout.FailRequest,
	// "The bank has delivered an error they have not documented. By
	// definition, this means the bank does not know the issue": nothing to
	// route on, so a manual review (seed 004: "ambiguous ... cases").
	"UNKNOWN_BANK_NETWORK_ERROR": payout.FailUnknown,
	// "The recipient is unable to receive the funds due to the payout amount
	// exceeding the recipient's ability to receive": a limit of the
	// beneficiary's account.
	"DESTINATION_MAXIMUM_LIMIT": payout.FailBeneficiary,
}

// ClassifyFailure returns the class of a Xendit failure code, compared
// case-insensitively; payout.FailUnknown for "" or a code seed 002 does not
// list.
func (c *Client) ClassifyFailure(code string) payout.FailureClass {
	return failureClasses.Classify(code)
}

// ClassifyFailure classifies one of the provider's failure codes by its
// table, for payouts whose client is not configured here (demo data, a
// provider switched off since).
func ClassifyFailure(code string) payout.FailureClass { return failureClasses.Classify(code) }
