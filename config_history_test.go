package main

import (
	"strings"
	"testing"
)

func TestHistoryConfig(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32)}
	cfg, err := loadConfig(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PartitionsAhead != 3 || cfg.ArchiveDir != "" || cfg.Retention["webhook_deliveries"] != 6 ||
		cfg.Retention["audit_log"] != 84 {
		t.Errorf("defaults: ahead %d, dir %q, retention %v", cfg.PartitionsAhead, cfg.ArchiveDir, cfg.Retention)
	}
	for _, tt := range []struct{ name, value, says string }{
		{"PAYOPS_PARTITIONS_AHEAD", "0", "PAYOPS_PARTITIONS_AHEAD"},
		{"PAYOPS_RETENTION", "ledger_postings=1y", "never archived"},
		{"PAYOPS_RETENTION", "webhook_deliveries=six", "PAYOPS_RETENTION"},
	} {
		vars := map[string]string{tt.name: tt.value}
		for k, v := range base {
			vars[k] = v
		}
		if _, err := loadConfig(env(vars)); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s=%s: err = %v, want %q", tt.name, tt.value, err, tt.says)
		}
	}
}
