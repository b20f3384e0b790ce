package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"payops/handlers"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	log      *slog.Logger // the access log; nil for none
}

func newMetrics(reg *prometheus.Registry, log *slog.Logger) *metrics {
	m := &metrics{log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payops_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "payops_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts and times requests by route pattern (not the raw path,
// which would carry payout references into label values), taken from the
// first of muxes with a pattern more specific than "/"; gives each request
// its id (handlers.RequestID: the caller's X-Request-Id when it is a plain
// token, else a new one), answered in X-Request-Id, which the access log line
// and any error line of the request carry.
func (m *metrics) instrument(next http.Handler, muxes ...*http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := handlers.NewRequestID(r.Header.Get("X-Request-Id"))
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(handlers.WithRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := "other"
		for _, mux := range muxes {
			if _, p := mux.Handler(r); p != "" && p != "/" {
				route = p
				break
			}
		}
		took := time.Since(start)
		m.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		m.duration.WithLabelValues(route).Observe(took.Seconds())
		if m.log != nil && accessLogged(route, rec.code) {
			m.log.Info("request", "method", r.Method, "route", route, "path", handlers.LogPath(r), "status", rec.code,
				"ms", took.Milliseconds(), "request_id", id)
		}
	})
}

// accessLogged says whether a request gets an access log line: not the
// probes, the scrape and static files, asked every few seconds; not a
// webhook taken (200), which has its own line (handlers' "webhook").
func accessLogged(route string, code int) bool {
	switch route {
	case "GET /static/", "GET /favicon.ico", "GET /healthz", "GET /readyz", "GET /metrics":
		return false
	case "POST /webhooks/{provider}":
		return code != http.StatusOK
	}
	return true
}
