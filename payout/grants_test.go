package payout

import (
	"testing"
	"time"
)

// Only a deciding role given from the dashboard waits, GrantWait from the
// grant; the command line's grants and other roles decide (or not) at once.
func TestDecidesFrom(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		role      Role
		dashboard bool
		wait      bool
	}{
		{RoleCompliance, true, true}, {RoleAdmin, true, true}, {RoleCompliance, false, false},
		{RoleOps, true, false}, {RoleFinance, true, false},
	} {
		from := DecidesFrom(Grant{Role: c.role, FromDashboard: c.dashboard, At: at})
		if (from != nil) != c.wait || (from != nil && !from.Equal(at.Add(GrantWait))) {
			t.Errorf("%s from the dashboard %v: decides from %v; want a wait %v", c.role, c.dashboard, from, c.wait)
		}
		if Waiting(from, at.Add(GrantWait-time.Second)) != c.wait || Waiting(from, at.Add(GrantWait)) {
			t.Errorf("%s from the dashboard %v: waiting is wrong around the wait's end", c.role, c.dashboard)
		}
	}
}
