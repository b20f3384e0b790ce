package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"payops/store/pgtest"
)

// serve wires the business metrics: on the demo with the sandbox and the
// jobs on, /metrics has the database gauges, each job's interval (the fold
// job's too), its last successes once the jobs run, and the provider calls
// the submission worker makes, counted by the sandbox's Caller.
func TestServeMetrics(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, env(map[string]string{"DATABASE_URL": dsn}),
		strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	// serve is started again on other ports if one it was given was taken
	// meanwhile (a test beside it listening on it): the free port is only
	// free when asked.
	var addr string
	done := make(chan error, 1)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	start := func() {
		addr = free()
		getenv := env(map[string]string{"DATABASE_URL": dsn, "PAYOPS_SESSION_KEY": strings.Repeat("ab", 32), "PAYOPS_ADDR": addr})
		go func() {
			done <- run(ctx, []string{"serve", "--sandbox-addr", free(), "--log", filepath.Join(t.TempDir(), "payops.log")},
				getenv, strings.NewReader(""), &stdout, &stderr)
		}()
	}
	start()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	restarts := 0
	exited := func() {
		select {
		case err := <-done:
			if err != nil && strings.Contains(err.Error(), "address already in use") && restarts < 3 {
				restarts++
				start()
				return
			}
			done <- err // for the deferred wait
			t.Fatalf("serve ended early: %v\n%s", err, stderr.String())
		default:
		}
	}
	want := []*regexp.Regexp{
		// The demo's real providers' payouts are live; the sandbox's are test
		// payouts, which the counts leave out.
		regexp.MustCompile(`(?m)^payops_payouts\{provider="(nxtbanking|paywize|razorpayx|xendit)",status="SUCCEEDED"\} [1-9]`),
		regexp.MustCompile(`(?m)^payops_payouts_stuck\{age="over_24h",provider="sandbox"\} \d`),
		regexp.MustCompile(`(?m)^payops_holds_open\{reason="beneficiary"\} \d`),
		regexp.MustCompile(`(?m)^payops_job_interval_seconds\{job="fold-payout-counts"\} 10$`),
		regexp.MustCompile(`(?m)^payops_job_interval_seconds\{job="submit"\} 5$`),
		regexp.MustCompile(`(?m)^payops_job_last_success_timestamp_seconds\{job="fold-payout-counts"\} `),
		regexp.MustCompile(`(?m)^payops_provider_calls_total\{error_class="none",operation="submit",provider="sandbox"\} [1-9]`),
		regexp.MustCompile(`(?m)^payops_webhook_deliveries_total\{outcome="rejected",provider="sandbox"\} 0$`),
		regexp.MustCompile(`(?m)^payops_metrics_scrape_error 0$`),
		// The webhook writers' groups (none need have run yet).
		regexp.MustCompile(`(?m)^payops_webhook_group_deliveries_count \d+$`),
		regexp.MustCompile(`(?m)^payops_webhook_group_duration_seconds_bucket\{le="0.001"\} \d+$`),
	}
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		exited()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		missing := false
		for _, re := range want {
			missing = missing || !re.MatchString(body)
		}
		if !missing {
			if test := regexp.MustCompile(`(?m)^payops_payouts\{provider="sandbox",status="[A-Z]+"\} [1-9]`); test.MatchString(body) {
				t.Errorf("/metrics counts the sandbox's test payouts: %s", test.FindString(body))
			}
			return
		}
	}
	for _, re := range want {
		if !re.MatchString(body) {
			t.Errorf("/metrics has no line matching %s", re)
		}
	}
	if t.Failed() {
		t.Logf("stderr: %s", stderr.String())
	}
}
