package payout

import "testing"

func TestFourEyes(t *testing.T) {
	one, two := int64(1), int64(2)
	tests := []struct {
		name  string
		user  int64
		hands HoldHands
		want  string
	}{
		{"placed by a gate, no evidence", 1, HoldHands{}, ""},
		{"placed by the releaser", 1, HoldHands{PlacedBy: &one}, "you placed this hold"},
		{"placed by someone else", 1, HoldHands{PlacedBy: &two}, ""},
		{"releaser added the latest evidence", 1, HoldHands{EvidenceBy: []int64{2, 1}}, "you added evidence to this hold"},
		// Compliance adds the deciding evidence, ops adds a note after it:
		// the compliance user still may not release.
		{"releaser added earlier evidence", 1, HoldHands{EvidenceBy: []int64{1, 2}}, "you added evidence to this hold"},
		{"others added evidence", 3, HoldHands{PlacedBy: &one, EvidenceBy: []int64{1, 2}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FourEyes(tt.user, tt.hands); got != tt.want {
				t.Errorf("FourEyes = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPermissionTableNamesKnownRoles(t *testing.T) {
	for _, a := range Actions {
		roles := RolesFor(a)
		if len(roles) == 0 {
			t.Errorf("action %s: no role may take it", a)
		}
		for _, r := range roles {
			if _, err := ParseRole(string(r)); err != nil {
				t.Errorf("action %s: %v", a, err)
			}
		}
	}
	if len(permissions) != len(Actions) {
		t.Errorf("permission table has %d actions, Actions lists %d", len(permissions), len(Actions))
	}
}

// Every action has words for the profile page, not its key.
func TestEveryActionHasALabel(t *testing.T) {
	for _, a := range Actions {
		if a.Label() == string(a) || a.Label() == "" {
			t.Errorf("action %s has no label", a)
		}
	}
}
