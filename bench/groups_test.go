package main

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"payops/metrics"
)

// Benchmark 1 reads the groups of a run from serve's own histograms, as
// serve exposes them: two readings give the groups between them.
func TestReadGroupsFromServedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := metrics.NewGroups(reg)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()
	g.ObserveGroup(1, time.Millisecond)
	before, err := readGroups(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	g.ObserveGroup(3, 2*time.Millisecond)
	g.ObserveGroup(5, 4*time.Millisecond)
	after, err := readGroups(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	size, each := after.since(before)
	if size != 4 || each != 3*time.Millisecond {
		t.Errorf("groups between the readings: %.2f deliveries, %v each; want 4, 3ms", size, each)
	}
	if size, each := after.since(after); size != 0 || each != 0 {
		t.Errorf("no groups between the readings: %.2f, %v; want 0, 0", size, each)
	}
	empty := httptest.NewServer(promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}))
	defer empty.Close()
	if _, err := readGroups(ctx, empty.URL); err == nil {
		t.Error("a /metrics without the group histograms read without an error")
	}
}
