package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/store/pgtest"
)

// syncBuffer is a bytes.Buffer safe to write from serve and read from the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// serve --banner --log, as make run starts it on the demo: once it serves it
// prints one block (the address, the five demo logins, the token command
// with the database address) and nothing else; the log goes to the file.
// The printed command makes a token.
func TestServeBanner(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, env(map[string]string{"DATABASE_URL": dsn}),
		strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "payops.log")
	getenv := env(map[string]string{"DATABASE_URL": dsn, "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32),
		"PAYOPS_ADDR": "127.0.0.1:0", "PAYOPS_JOBS": "off"})
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--banner", "--log", logFile}, getenv, strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "Stop: Ctrl-C") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	banner := stdout.String()
	base := regexp.MustCompile(`payops is ready: (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(banner)
	if base == nil {
		t.Fatalf("no address in the banner:\n%s", banner)
	}
	if resp, err := http.Get(base[1] + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the address printed: %v %v", resp, err)
	}
	for _, u := range demoUsers {
		if !strings.Contains(banner, u.email) {
			t.Errorf("the banner lacks %s:\n%s", u.email, banner)
		}
	}
	command := regexp.MustCompile(`DATABASE_URL='([^']*)' (\S+) token create --name me --scope test`)
	cmd := command.FindStringSubmatch(banner)
	if cmd == nil || cmd[1] != dsn || strings.Contains(banner, "level=") || !strings.Contains(banner, logFile) {
		t.Errorf("the banner:\n%s", banner)
	} else {
		var tok bytes.Buffer
		err := run(context.Background(), []string{"token", "create", "--name", "me", "--scope", "test"},
			env(map[string]string{"DATABASE_URL": cmd[1]}), strings.NewReader(""), &tok, &tok)
		if err != nil || !strings.Contains(tok.String(), "pot_") {
			t.Errorf("the printed command: %q %v", tok.String(), err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if logged, _ := os.ReadFile(logFile); !strings.Contains(string(logged), "payops serving") || stderr.String() != "" {
		t.Errorf("the log file: %q; stderr: %q", logged, stderr.String())
	}
}

func TestShellDSNHidesPasswords(t *testing.T) {
	for _, c := range []struct {
		dsn, want string
		hidden    bool
	}{
		{"host=/tmp/pg port=5433 user=postgres dbname=payops sslmode=disable",
			"'host=/tmp/pg port=5433 user=postgres dbname=payops sslmode=disable'", false},
		{"host=db user=payops password=s3cret dbname=payops",
			"'host=db user=payops password=PASSWORD dbname=payops'", true},
		{"postgres://payops:s3cret@db:5432/payops?sslmode=require",
			"'postgres://payops:PASSWORD@db:5432/payops?sslmode=require'", true},
		{"postgres://payops@db/payops", "'postgres://payops@db/payops'", false},
		{"host=it's", `'host=it'\''s'`, false},
	} {
		got, hidden := shellDSN(c.dsn)
		if got != c.want || hidden != c.hidden {
			t.Errorf("shellDSN(%q) = %s, %v; want %s, %v", c.dsn, got, hidden, c.want, c.hidden)
		}
	}
}
