package payout

import "fmt"

// Role is what a dashboard user does; what each role may do is the
// permission table in permissions.go, checked on the server for every action.
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

// Can reports whether the role may take the action, by the permission
// table.
func (r Role) Can(a Action) bool {
	for _, allowed := range permissions[a] {
		if allowed == r {
			return true
		}
	}
	return false
}
