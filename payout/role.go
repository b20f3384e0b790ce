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
