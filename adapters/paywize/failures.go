package paywize

import (
	"payops/adapters"
	"payops/payout"
)

// failureClasses classifies Paywize's failure codes. Seed 001 lists none: a
// FAILED, CANCELLED or REFUNDED payout carries only a free-text
// status_message, which payops keeps as the failure reason, and payops
// stores no failure code for Paywize. So every code is unknown, a manual
// review, until Paywize documents codes; add them here, each with what it
// means. (resp_code answers API calls, before a payout exists; kindForCode
// classifies those.)
var failureClasses = adapters.FailureTable{}

// ClassifyFailure returns the class of a Paywize failure code:
// payout.FailUnknown for every code, "" included, while seed 001 lists none.
func (c *Client) ClassifyFailure(code string) payout.FailureClass {
	return failureClasses.Classify(code)
}

// ClassifyFailure classifies one of the provider's failure codes by its
// table, for payouts whose client is not configured here (demo data, a
// provider switched off since).
func ClassifyFailure(code string) payout.FailureClass { return failureClasses.Classify(code) }
