package metrics_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/metrics"
	"payops/payout"
)

// Every request a provider's Caller sends is counted by provider, operation
// and error class and timed: retries each count, a refused credential is
// "credentials", an answer is "none". The provider is the sandbox, which
// speaks NxtBanking's documented API, behind a server that fails the first
// two payout creations with 502.
func TestProviderCallsCountedByOperationAndErrorClass(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Seed: 1, APIKey: "k", APISecret: "s"})
	var fail atomic.Int32
	fail.Store(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/payouts" && fail.Load() > 0 {
			fail.Add(-1)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	calls := metrics.NewCalls(reg)
	client := func(secret string) *nxtbanking.Client {
		c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: secret,
			WebhookSecret: "w"})
		c.Caller().BaseDelay = time.Millisecond
		c.Caller().Observer = calls
		return c
	}
	ctx := context.Background()
	p := adapters.Payout{ReferenceID: "MET-1", Amount: payout.Money{Minor: 100000, Currency: "INR"}, Mode: "IMPS",
		Beneficiary: adapters.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}}
	good := client("s")
	obs, err := good.Submit(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Status(ctx, adapters.Payout{ReferenceID: "MET-1", ProviderPayoutID: obs.ProviderPayoutID}); err != nil {
		t.Fatal(err)
	}
	if _, err := client("wrong").Submit(ctx, p); adapters.KindOf(err) != adapters.Credentials {
		t.Fatalf("wrong secret: %v", err)
	}

	tests := []struct {
		op, class string
		want      float64
	}{
		{"auth", "none", 1},
		{"auth", "credentials", 1},
		{"create_beneficiary", "none", 1},
		{"submit", "transient", 2},
		{"submit", "none", 1},
		{"status", "none", 1},
	}
	for _, tt := range tests {
		got := counterOf(t, reg, "payops_provider_calls_total", "sandbox", tt.op, tt.class)
		if got != tt.want {
			t.Errorf("payops_provider_calls_total{sandbox,%s,%s} = %v, want %v", tt.op, tt.class, got, tt.want)
		}
	}
	// Every attempt is timed: the histogram of submit has the 3.
	for _, op := range []string{"auth", "create_beneficiary", "status"} {
		if got := histogramCount(t, reg, "payops_provider_call_duration_seconds", "sandbox", op); got == 0 {
			t.Errorf("%s's duration not observed", op)
		}
	}
	if got := histogramCount(t, reg, "payops_provider_call_duration_seconds", "sandbox", "submit"); got != 3 {
		t.Errorf("submit's duration count = %d, want 3", got)
	}
}

// series returns the series of family name in reg with exactly labels,
// or nil.
func series(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, labels) {
				return m
			}
		}
	}
	return nil
}

// Each group transaction of the webhook writers is one observation of its
// size and one of its time, in buckets that show a group of one apart from
// groups of many.
func TestWebhookGroupsObserved(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := metrics.NewGroups(reg)
	g.ObserveGroup(1, 2*time.Millisecond)
	g.ObserveGroup(12, 40*time.Millisecond)
	size := series(t, reg, "payops_webhook_group_deliveries", map[string]string{}).GetHistogram()
	if size.GetSampleCount() != 2 || size.GetSampleSum() != 13 {
		t.Errorf("group sizes: %d observed, sum %v; want 2, 13", size.GetSampleCount(), size.GetSampleSum())
	}
	for _, b := range size.GetBucket() {
		want := map[float64]uint64{1: 1, 2: 1, 4: 1, 8: 1, 16: 2, 32: 2, 64: 2}[b.GetUpperBound()]
		if b.GetCumulativeCount() != want {
			t.Errorf("groups of at most %v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	took := series(t, reg, "payops_webhook_group_duration_seconds", map[string]string{}).GetHistogram()
	if took.GetSampleCount() != 2 || took.GetSampleSum() < 0.041 || took.GetSampleSum() > 0.043 {
		t.Errorf("group times: %d observed, sum %v s; want 2, 0.042 s", took.GetSampleCount(), took.GetSampleSum())
	}
}

func counterOf(t *testing.T, reg *prometheus.Registry, name, provider, op, class string) float64 {
	t.Helper()
	m := series(t, reg, name, map[string]string{"provider": provider, "operation": op, "error_class": class})
	return m.GetCounter().GetValue() // 0 when missing
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name, provider, op string) uint64 {
	t.Helper()
	m := series(t, reg, name, map[string]string{"provider": provider, "operation": op})
	return m.GetHistogram().GetSampleCount()
}
