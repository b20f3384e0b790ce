package payout

import (
	"strings"
	"testing"
	"time"
)

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		pw   string
		says string // "" for accepted
	}{
		{"correct-horse", ""},
		{"twelve chars", ""},
		{"ééééééééééé", "at least 12"}, // 11 characters, 22 bytes
		{"éééééééééééé", ""},
		{"short", "at least 12"},
		{"", "at least 12"},
		{strings.Repeat("a", 72), ""},
		{strings.Repeat("a", 73), "at most 72 bytes"},
		{"tab\tinside-password", "control characters"},
	} {
		err := CheckPassword(c.pw)
		if got := err == nil; got != (c.says == "") || (err != nil && !strings.Contains(err.Error(), c.says)) {
			t.Errorf("CheckPassword(%q) = %v, want %q", c.pw, err, c.says)
		}
	}
}

func TestRefuseUserChange(t *testing.T) {
	for _, c := range []struct {
		name   string
		change UserChange
		says   string // "" for allowed
	}{
		{"admin disables an ops user", UserChange{Role: RoleOps, Active: true, Disable: true, ActiveAdmins: 1}, ""},
		{"admin disables themselves", UserChange{BySelf: true, Role: RoleAdmin, Active: true, Disable: true,
			ActiveAdmins: 3}, "disable yourself"},
		{"admin changes their own role", UserChange{BySelf: true, Role: RoleAdmin, Active: true, NewRole: RoleOps,
			ActiveAdmins: 3}, "your own role"},
		{"own role to the same role", UserChange{BySelf: true, Role: RoleAdmin, Active: true, NewRole: RoleAdmin,
			ActiveAdmins: 1}, ""},
		{"the last admin disabled", UserChange{Role: RoleAdmin, Active: true, Disable: true, ActiveAdmins: 1},
			"last admin"},
		{"the last admin made ops", UserChange{Role: RoleAdmin, Active: true, NewRole: RoleOps, ActiveAdmins: 1},
			"last admin"},
		{"one of two admins made ops", UserChange{Role: RoleAdmin, Active: true, NewRole: RoleOps, ActiveAdmins: 2}, ""},
		{"a disabled admin made ops", UserChange{Role: RoleAdmin, NewRole: RoleOps, ActiveAdmins: 1}, ""},
		{"a disabled admin disabled again", UserChange{Role: RoleAdmin, Disable: true, ActiveAdmins: 1}, ""},
		{"ops made admin", UserChange{Role: RoleOps, Active: true, NewRole: RoleAdmin, ActiveAdmins: 1}, ""},
	} {
		got := RefuseUserChange(c.change)
		if (got == "") != (c.says == "") || !strings.Contains(got, c.says) {
			t.Errorf("%s: %q, want %q", c.name, got, c.says)
		}
	}
}

func TestLinkRefusal(t *testing.T) {
	expires := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	before, after := expires.Add(-time.Second), expires
	for _, c := range []struct {
		name  string
		state LinkState
		at    time.Time
		says  string
	}{
		{"fresh", LinkState{}, before, ""},
		{"at its expiry", LinkState{}, after, "expired"},
		{"used", LinkState{Used: true}, before, "used already"},
		{"used and expired", LinkState{Used: true}, after, "used already"},
		{"replaced", LinkState{Replaced: true}, before, "newer link"},
		{"user disabled", LinkState{UserDisabled: true}, before, "disabled"},
	} {
		got := LinkRefusal(c.state, expires, c.at)
		if (got == "") != (c.says == "") || !strings.Contains(got, c.says) {
			t.Errorf("%s: %q, want %q", c.name, got, c.says)
		}
	}
}

func TestParseEmailAndName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{" kiran@example.com ", "kiran@example.com", true},
		{"Kiran <kiran@example.com>", "", false},
		{"kiran", "", false},
		{"kiran@", "", false},
		{"", "", false},
		{"a b@example.com", "", false},
		{strings.Repeat("k", 250) + "@example.com", "", false},
	} {
		got, err := ParseEmail(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseEmail(%q) = %q, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"  Kiran Compliance ", "Kiran Compliance", true},
		{"", "", false},
		{strings.Repeat("n", 201), "", false},
		{"line\nbreak", "", false},
	} {
		got, err := ParseUserName(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseUserName(%q) = %q, %v", c.in, got, err)
		}
	}
}
