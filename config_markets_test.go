package main

import (
	"strings"
	"testing"
)

// PAYOPS_READ_ONLY_MARKETS no longer decides anything: it is kept only to
// warn that it is ignored, and a value that was never a market code does
// not stop payops from starting.
func TestReadOnlyMarketsIsIgnored(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32),
		"PAYOPS_READ_ONLY_MARKETS": " PH,Philippines "}
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatalf("loadConfig with PAYOPS_READ_ONLY_MARKETS set: %v", err)
	}
	if got, want := cfg.IgnoredReadOnlyMarkets, "PH,Philippines"; got != want {
		t.Errorf("IgnoredReadOnlyMarkets = %q, want %q (for the warning)", got, want)
	}
	delete(vars, "PAYOPS_READ_ONLY_MARKETS")
	if cfg, err := loadConfig(env(vars)); err != nil || cfg.IgnoredReadOnlyMarkets != "" {
		t.Errorf("without it: %q %v, want nothing to warn about", cfg.IgnoredReadOnlyMarkets, err)
	}
}
