package payout

import "fmt"

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
// second approver sees the first's note. The store keeps the approvals
// (hold_approvals) and releases the hold with the final one.
func NextApproval(needed int, prior []Approval, user int64) ApprovalStep {
	step := ApprovalStep{Earlier: prior}
	for _, a := range prior {
		if a.UserID == user {
			step.Refused = "you approved this payout already; another compliance user gives the next approval"
			return step
		}
	}
	// A hold still open with as many approvals as its rule asks (the rule was
	// lowered after an approval, or the release then found a gate failing)
	// is released by the next person: that approval is the final one.
	step.Final = len(prior)+1 >= needed
	return step
}

// UnblockEvidence returns what the payout's launch document asks to be
// attached before a hold for reason is released, "" when it asks nothing.
func (l MarketLaunch) UnblockEvidence(reason Reason) string {
	if l.Doc == nil {
		return ""
	}
	for _, h := range l.Doc.HoldReasons {
		if h.Reason == reason {
			return h.UnblockEvidence
		}
	}
	return ""
}

// UnblockRefusal returns why a hold for reason may not be released yet, or
// "" when it may: where the launch document names unblock evidence for the
// reason, at least one item of evidence (a note, link or tax-artifact
// change) must have been added by a person; the gate's own answer, placed
// with the hold, does not count.
func (l MarketLaunch) UnblockRefusal(reason Reason, attachedByPeople int) string {
	need := l.UnblockEvidence(reason)
	if need == "" || attachedByPeople > 0 {
		return ""
	}
	return fmt.Sprintf("%s's launch document asks for this before a %s hold is released: %s. Add it as evidence, "+
		"then another compliance user releases the hold", l.Doc.Key(), reason, need)
}
