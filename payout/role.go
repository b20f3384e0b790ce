package payout

import "fmt"

// Role is what a dashboard user does; permissions follow from it and are
// checked on the server for every action.
type Role string

// The roles of payops' users.
const (
	RoleOps        Role = "ops"
	RoleFinance    Role = "finance"
	RoleCompliance Role = "compliance"
	RoleAdmin      Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleOps, RoleFinance, RoleCompliance, RoleAdmin}

// ParseRole returns the Role named s or an error naming the valid ones.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: use ops, finance, compliance or admin", s)
}

// CanRecheck reports whether the role may ask a provider for a payout's
// current status from the dashboard.
func (r Role) CanRecheck() bool { return r == RoleOps || r == RoleAdmin }

// CanDecideHolds reports whether the role may release or reject a hold:
// compliance only, so that sending held money is never an operator's call.
func (r Role) CanDecideHolds() bool { return r == RoleCompliance }

// CanWorkHolds reports whether the role may add evidence to a hold,
// reassign it or escalate it.
func (r Role) CanWorkHolds() bool { return r == RoleOps || r == RoleCompliance }

// CanConfigureHolds reports whether the role may set hold owners and SLAs.
func (r Role) CanConfigureHolds() bool { return r == RoleAdmin }

// CanReconcile reports whether the role may run a day's reconciliation
// now.
func (r Role) CanReconcile() bool { return r == RoleFinance || r == RoleAdmin }

// CanCloseDays reports whether the role may upload a settlement report,
// resolve or accept a reconciliation difference, and sign a day off: finance
// only, so that the books are closed by the people who answer for them.
func (r Role) CanCloseDays() bool { return r == RoleFinance }

// CanRecheckDiffs reports whether the role may re-check the payout behind
// a reconciliation difference with its provider.
func (r Role) CanRecheckDiffs() bool { return r == RoleFinance || r.CanRecheck() }

// CanRunDrills reports whether the role may start failure drills.
func (r Role) CanRunDrills() bool { return r == RoleAdmin }
