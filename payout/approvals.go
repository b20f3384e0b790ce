package payout

// Approval is one compliance approval already given on a payout, in order.
type Approval struct {
	UserID int64
	Note   string
}

// ApprovalStep is what an approval by a user would do under a market's
// approval rule.
type ApprovalStep struct {
	Refused string // why the user may not approve ("" when they may)
	Final   bool   // this approval is the last one needed: the money may go
	// Earlier is the notes of the approvals before this one, which the
	// approver sees first.
	Earlier []Approval
}

// NextApproval returns what user approving a payout would do when needed
// approvals (0, 1 or 2: LaunchDoc.ApprovalsNeeded) are asked and prior are
// given: approvals come in order, each by a different person, and the
// second approver sees the first's note. Not wired into hold release yet.
func NextApproval(needed int, prior []Approval, user int64) ApprovalStep {
	step := ApprovalStep{Earlier: prior}
	for _, a := range prior {
		if a.UserID == user {
			step.Refused = "you approved this payout already; another compliance user gives the next approval"
			return step
		}
	}
	if len(prior) >= max(needed, 1) {
		step.Refused = "this payout has all the approvals it needs"
		return step
	}
	step.Final = len(prior)+1 >= needed
	return step
}
