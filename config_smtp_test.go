package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// PAYOPS_SMTP_URL is checked at start; the refusal says what is wrong and
// never repeats the password.
func TestSMTPConfig(t *testing.T) {
	base := func(v string) map[string]string {
		return map[string]string{"DATABASE_URL": "x", "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_SMTP_URL": v}
	}
	for _, tt := range []struct{ value, says string }{
		{"smtp://payops:hunter2secret@mail.example.com:587", "?from="},
		{"https://payops:hunter2secret@mail.example.com?from=a@example.com", "smtp:// or smtps://"},
		{"smtp://payops:hunter2secret@:25?from=a@example.com", "no host"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve"}, env(base(tt.value)), strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "PAYOPS_SMTP_URL") || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: err = %v, want PAYOPS_SMTP_URL and %q", tt.value, err, tt.says)
		}
		if err != nil && strings.Contains(err.Error()+out.String(), "hunter2secret") {
			t.Errorf("%q: the refusal shows the password", tt.value)
		}
	}
	cfg, err := loadConfig(env(base("smtp://payops:hunter2secret@mail.example.com:587?from=payops@example.com")))
	if err != nil || cfg.emailFrom() != "payops@example.com" {
		t.Errorf("a good URL: from %q, %v", cfg.emailFrom(), err)
	}
}
