package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// exported returns the names of the metrics payops serves: the business
// gauges (the outbox's among them), the event counters, the webhook
// writers' group histograms and the HTTP
// metrics of package web.
func exported(t *testing.T) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	calls := NewCalls(reg)
	deliveries := NewDeliveries(reg, nil, nil)
	groups := NewGroups(reg)
	ch := make(chan *prometheus.Desc, 100)
	(&Business{}).Describe(ch)
	calls.total.Describe(ch)
	calls.duration.Describe(ch)
	deliveries.total.Describe(ch)
	groups.deliveries.Describe(ch)
	groups.duration.Describe(ch)
	close(ch)
	names := []string{"payops_http_requests_total", "payops_http_request_duration_seconds"}
	name := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		m := name.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		names = append(names, m[1])
	}
	return names
}

var metricName = regexp.MustCompile(`\bpayops_[a-z0-9_]+`)

// usedIn returns the metric names text mentions, a histogram's series
// (_bucket, _sum, _count) by the histogram's name.
func usedIn(text string) []string {
	var out []string
	for _, n := range metricName.FindAllString(text, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			n = strings.TrimSuffix(n, suffix)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// The Grafana dashboard is JSON Grafana can import, and it and the alert
// rules name only metrics payops serves: a renamed metric fails here, not
// silently in production.
func TestDeployFilesNameServedMetrics(t *testing.T) {
	names := exported(t)
	dash, err := os.ReadFile("../deploy/grafana/payops.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatalf("deploy/grafana/payops.json: %v", err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("deploy/grafana/payops.json: no title or no panels")
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	rules, err := os.ReadFile("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for file, text := range map[string]string{"payops.json": strings.Join(exprs, "\n"), "alerts.yml": string(rules)} {
		for _, n := range usedIn(text) {
			if !slices.Contains(names, n) {
				t.Errorf("%s names %s, which payops does not serve", file, n)
			}
		}
	}
}
