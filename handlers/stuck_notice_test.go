package handlers

import (
	"strings"
	"testing"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/views"
)

func TestUnconfiguredNotice(t *testing.T) {
	rows := func(providers ...string) []views.StuckRow {
		var out []views.StuckRow
		for _, p := range providers {
			out = append(out, views.StuckRow{Provider: p})
		}
		return out
	}
	withSandbox := adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox"})}
	for _, tt := range []struct {
		name      string
		rows      []views.StuckRow
		providers adapters.Registry
		test      bool
		want      string // "" for no notice
		sandbox   bool   // whether it points at the sandbox's test payouts
	}{
		{"all configured", rows("sandbox", "sandbox"), withSandbox, false, "", false},
		{"none listed", nil, adapters.Registry{}, false, "", false},
		{"one missing, twice", rows("xendit", "sandbox", "xendit"), withSandbox, false,
			"xendit is not configured here, so Re-check and the stale re-check cannot ask it", true},
		{"several, named in order", rows("xendit", "nxtbanking", "razorpayx"), adapters.Registry{}, false,
			"nxtbanking, razorpayx and xendit are not configured here", false},
		{"test data shown already", rows("nxtbanking"), withSandbox, true, "PAYOPS_NXTBANKING_…", false},
	} {
		got := unconfiguredNotice(tt.rows, tt.providers, tt.test)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q in it", tt.name, got, tt.want)
		}
		if strings.Contains(got, "press Test") != tt.sandbox {
			t.Errorf("%s: %q points at the sandbox: %v, want %v", tt.name, got, !tt.sandbox, tt.sandbox)
		}
	}
}
