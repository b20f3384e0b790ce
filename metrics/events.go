// Package metrics is payops' business metrics for /metrics: counters of
// what happens in this process (provider calls, webhook deliveries) and a
// collector of gauges read from PostgreSQL at each scrape (payouts, stuck
// payouts, holds, reconciliation, jobs). Label values are bounded: provider
// names, statuses, reasons, job names, fixed words; never a reference.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Calls counts and times provider calls; it is the adapters.CallObserver
// every provider's Caller reports to.
type Calls struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewCalls registers payops_provider_calls_total and
// payops_provider_call_duration_seconds with reg.
func NewCalls(reg prometheus.Registerer) *Calls {
	c := &Calls{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payops_provider_calls_total",
			Help: "HTTP requests sent to payout providers (each attempt, retries included) by provider, operation and " +
				`error class ("none" when answered 2xx).`,
		}, []string{"provider", "operation", "error_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "payops_provider_call_duration_seconds",
			Help:    "Latency of HTTP requests to payout providers by provider and operation, failures included.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"provider", "operation"}),
	}
	reg.MustRegister(c.total, c.duration)
	return c
}

// ObserveCall counts one request and its latency.
func (c *Calls) ObserveCall(provider, operation, errorClass string, took time.Duration) {
	c.total.WithLabelValues(provider, operation, errorClass).Inc()
	c.duration.WithLabelValues(provider, operation).Observe(took.Seconds())
}

// Deliveries counts webhook deliveries; it is the handlers.DeliveryCounter
// of the webhook endpoint.
type Deliveries struct {
	total *prometheus.CounterVec
}

// NewDeliveries registers payops_webhook_deliveries_total with reg, with a
// zero series for each provider and outcome given, so rates and alerts
// have a series from the first scrape.
func NewDeliveries(reg prometheus.Registerer, providers, outcomes []string) *Deliveries {
	d := &Deliveries{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payops_webhook_deliveries_total",
		Help: "Webhook deliveries received from providers by provider and outcome (applied, merged, duplicate, stale, " +
			"anomaly, orphan, ignored, rejected, malformed; error when it could not be stored).",
	}, []string{"provider", "outcome"})}
	reg.MustRegister(d.total)
	for _, p := range providers {
		for _, o := range outcomes {
			d.total.WithLabelValues(p, o)
		}
	}
	return d
}

// Delivered counts one delivery.
func (d *Deliveries) Delivered(provider, outcome string) {
	d.total.WithLabelValues(provider, outcome).Inc()
}

// Groups measures the transactions in which the webhook writers take
// deliveries in (group commit); it is the store.GroupObserver serve hands
// GroupWebhooks. Groups of one under load say deliveries do not queue for
// the writers (the database keeps up); large groups and long times, that
// they do.
type Groups struct {
	deliveries, duration prometheus.Histogram
}

// NewGroups registers payops_webhook_group_deliveries and
// payops_webhook_group_duration_seconds with reg.
func NewGroups(reg prometheus.Registerer) *Groups {
	g := &Groups{
		deliveries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "payops_webhook_group_deliveries",
			Help:    "Webhook deliveries taken in by one transaction of the webhook writers (group commit), failures included.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "payops_webhook_group_duration_seconds",
			Help:    "Time of one transaction of the webhook writers, from its BEGIN to its commit's answer, failures included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}),
	}
	reg.MustRegister(g.deliveries, g.duration)
	return g
}

// ObserveGroup records one group transaction.
func (g *Groups) ObserveGroup(deliveries int, took time.Duration) {
	g.deliveries.Observe(float64(deliveries))
	g.duration.Observe(took.Seconds())
}
