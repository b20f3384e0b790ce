package sandbox

import (
	"payops/adapters"
	"payops/payout"
)

// FailureCode is the failure code of a payout whose fate is Failure, with
// FailureReason as its words.
const (
	FailureCode   = "BENEFICIARY_ACCOUNT_CLOSED"
	FailureReason = "Beneficiary account is closed"
)

// failureClasses classifies the failure codes the sandbox gives.
var failureClasses = adapters.FailureTable{
	// The beneficiary's account is closed: the payout can only go to another
	// account, as a new instruction.
	FailureCode: payout.FailBeneficiary,
}

// ClassifyFailure returns the class of a sandbox failure code, compared
// case-insensitively; payout.FailUnknown for "" or a code the sandbox never
// gives. payops' clients of the sandbox and of drills' sandboxes are
// NxtBanking clients, which take it as their nxtbanking.Config.Classify.
func ClassifyFailure(code string) payout.FailureClass {
	return failureClasses.Classify(code)
}
