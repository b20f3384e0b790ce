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

// A beneficiary registered with an IFSC whose bank part is NoBranch
// ("XXXX0000001") names no branch, as a mistyped IFSC does: the sandbox
// fails its payouts with InvalidIFSC, so that the retry of a corrected
// request can be played in make run and in tests.
const (
	NoBranch          = "XXXX"
	InvalidIFSC       = "INVALID_IFSC"
	InvalidIFSCReason = "IFSC does not match any bank branch"
)

// failureClasses classifies the failure codes the sandbox gives.
var failureClasses = adapters.FailureTable{
	// The beneficiary's account is closed: the payout can only go to another
	// account, as a new instruction.
	FailureCode: payout.FailBeneficiary,
	// The request named a branch that does not exist: correct the IFSC and
	// send a new instruction.
	InvalidIFSC: payout.FailRequest,
}

// ClassifyFailure returns the class of a sandbox failure code, compared
// case-insensitively; payout.FailUnknown for "" or a code the sandbox never
// gives. payops' clients of the sandbox and of drills' sandboxes are
// NxtBanking clients, which take it as their nxtbanking.Config.Classify.
func ClassifyFailure(code string) payout.FailureClass {
	return failureClasses.Classify(code)
}
