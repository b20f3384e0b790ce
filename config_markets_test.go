package main

import (
	"strings"
	"testing"
	"time"
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

// PAYOPS_STUCK_LONG_AFTER sets when a payout sent and unsettled becomes a
// stuck_long case: 24h by default, from 1h to 720h.
func TestStuckLongAfterSetting(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32)}
	if cfg, err := loadConfig(env(vars)); err != nil || cfg.StuckLongAfter != 24*time.Hour {
		t.Errorf("default: %v %v, want 24h", cfg.StuckLongAfter, err)
	}
	vars["PAYOPS_STUCK_LONG_AFTER"] = "6h"
	if cfg, err := loadConfig(env(vars)); err != nil || cfg.StuckLongAfter != 6*time.Hour {
		t.Errorf("6h: %v %v", cfg.StuckLongAfter, err)
	}
	for _, bad := range []string{"10m", "1000h", "soon"} {
		vars["PAYOPS_STUCK_LONG_AFTER"] = bad
		if _, err := loadConfig(env(vars)); err == nil || !strings.Contains(err.Error(), "PAYOPS_STUCK_LONG_AFTER") {
			t.Errorf("%q: %v, want refused naming the setting", bad, err)
		}
	}
}
