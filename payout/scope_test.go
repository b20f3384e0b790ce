package payout

import (
	"slices"
	"strings"
	"testing"
)

func TestScopeProviders(t *testing.T) {
	configured := []string{"drill", "nxtbanking", "razorpayx", "sandbox"}
	tests := []struct {
		scope Scope
		want  []string
	}{
		{ScopeLive, []string{"nxtbanking", "razorpayx"}},
		{ScopeTest, []string{"drill", "sandbox"}},
		{ScopeDrills, nil},
	}
	for _, tt := range tests {
		if got := tt.scope.Providers(configured); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.scope, got, tt.want)
		}
	}
}

func TestScopeProviderRefusal(t *testing.T) {
	configured := []string{"drill", "nxtbanking", "sandbox"}
	tests := []struct {
		scope    Scope
		provider string
		want     string // a part of the message; "" for none
	}{
		{ScopeLive, "nxtbanking", ""},
		{ScopeLive, "drill", "test provider"},
		{ScopeLive, "sandbox", "test provider"},
		{ScopeLive, "xendit", ""}, // not configured: the request's check names it
		{ScopeTest, "sandbox", ""},
		{ScopeTest, "nxtbanking", "test token"},
	}
	for _, tt := range tests {
		got := tt.scope.ProviderRefusal(tt.provider, configured)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s %s: %q, want one with %q", tt.scope, tt.provider, got, tt.want)
		}
	}
}

func TestNetworks(t *testing.T) {
	nets, err := ParseNetworks(" 10.1.2.3/8, 203.0.113.7 ,::1")
	if want := []string{"10.0.0.0/8", "203.0.113.7/32", "::1/128"}; err != nil || !slices.Equal(nets, want) {
		t.Fatalf("ParseNetworks = %v %v, want %v", nets, err, want)
	}
	if _, err := ParseNetworks("10.0.0.0/8,example.com"); err == nil {
		t.Fatal("a host name was taken for a network")
	}
	tests := []struct {
		addr string
		nets []string
		want bool
	}{
		{"127.0.0.1", nil, true},
		{"10.9.8.7", nets, true},
		{"203.0.113.7", nets, true},
		{"203.0.113.8", nets, false},
		{"::ffff:10.0.0.1", nets, true}, // an IPv4 address as an IPv6 socket shows it
		{"::1", nets, true},
		{"not-an-address", nets, false},
	}
	for _, tt := range tests {
		if got := FromAllowed(tt.addr, tt.nets); got != tt.want {
			t.Errorf("FromAllowed(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestLivemode(t *testing.T) {
	for provider, want := range map[string]bool{"nxtbanking": true, "paywize": true, "razorpayx": true, "xendit": true,
		SandboxProvider: false, DrillProvider: false} {
		if got := Livemode(provider); got != want {
			t.Errorf("Livemode(%q) = %v, want %v", provider, got, want)
		}
	}
}
