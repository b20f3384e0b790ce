package nxtbanking

import (
	"payops/adapters"
	"payops/payout"
)

// failureClasses classifies NxtBanking's failure codes. Seed 000 lists none:
// a failed payout carries a free-text failure_reason, and the failure_code
// this client reads is its own assumption. So every NxtBanking code is
// unknown, a manual review, until NxtBanking's codes are known; add them
// here, each with what it means.
var failureClasses = adapters.FailureTable{}

// ClassifyFailure returns the class of a failure code this client stored:
// by Config.Classify where set (the sandbox's codes), else by NxtBanking's
// table; payout.FailUnknown for "" or a code it does not know.
func (c *Client) ClassifyFailure(code string) payout.FailureClass {
	if c.cfg.Classify != nil {
		return c.cfg.Classify(code)
	}
	return failureClasses.Classify(code)
}

// ClassifyFailure classifies one of the provider's failure codes by its
// table, for payouts whose client is not configured here (demo data, a
// provider switched off since).
func ClassifyFailure(code string) payout.FailureClass { return failureClasses.Classify(code) }
