package views

import "fmt"

// approvalsNeededText says what an approval rule asks for.
func approvalsNeededText(n int) string {
	if n == 1 {
		return "one compliance approval"
	}
	return fmt.Sprintf("%d compliance approvals by different people, in order (each approver reads the earlier notes)", n)
}

// approvalsGiven says how far a hold's approvals are.
func approvalsGiven(h HoldCard) string {
	if h.ApprovalsNeeded == 0 {
		return fmt.Sprintf("%d given; the market's launch document no longer asks for any", len(h.Approvals))
	}
	return fmt.Sprintf("%d of %d given", len(h.Approvals), h.ApprovalsNeeded)
}

// approvalSeq names one approval.
func approvalSeq(a ApprovalRow) string { return fmt.Sprintf("approval %d", a.Seq) }

// approvalsBadge says how many approvals a hold in the queue has.
func approvalsBadge(n int) string {
	if n == 1 {
		return "1 approval given"
	}
	return fmt.Sprintf("%d approvals given", n)
}
