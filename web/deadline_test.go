package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"payops/handlers"
)

// A request its handler answers in time goes out as written; one it does
// not is answered 503 with Retry-After and the body given, and what the
// handler writes after that is dropped; a panic is the caller's.
// lockedLog is a log the handler's goroutine writes while the test reads.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAnswerWithin(t *testing.T) {
	logged := &lockedLog{}
	log := slog.New(slog.NewTextHandler(logged, nil))
	quick := answerWithin(time.Second, lateJSON(`{"error":"x"}`), log, "api request", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("ok"))
	})
	rec := httptest.NewRecorder()
	quick(rec, httptest.NewRequest("POST", "/api/v1/payouts", nil))
	if rec.Code != http.StatusAccepted || rec.Body.String() != "ok" || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("in time: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}

	release, wrote := make(chan struct{}), make(chan error, 1)
	slow := answerWithin(50*time.Millisecond, lateJSON(`{"error":"unavailable"}`), log, "webhook", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a database that hangs: the context is all it sees
		<-release            // until the 503 has gone
		_, err := w.Write([]byte("too late"))
		wrote <- err
		panic("after the deadline")
	})
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/webhooks/sandbox", nil)
	slow(rec, req.WithContext(handlers.WithRequestID(req.Context(), "rid-1")))
	close(release)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
		strings.TrimSpace(rec.Body.String()) != `{"error":"unavailable"}` {
		t.Errorf("too slow: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if err := <-wrote; err != http.ErrHandlerTimeout {
		t.Errorf("a write after the deadline: %v", err)
	}
	// The panic after the 503 is logged, with the request's id.
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(logged.String(), "panic in handler after its deadline") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for _, want := range []string{"webhook not answered in time", "request_id=rid-1", "panic in handler after its deadline"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logged.String())
		}
	}

	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("panic %v, want boom", p)
		}
	}()
	answerWithin(time.Second, lateJSON(""), log, "api request", func(http.ResponseWriter, *http.Request) { panic("boom") })(httptest.NewRecorder(),
		httptest.NewRequest("GET", "/api/v1/markets", nil))
}

// A dashboard page not answered in time gets the error page saying so, 503
// with Retry-After; an export (which streams for minutes) and a post (which
// may still complete) are not bounded.
func TestPagesWithin(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(&lockedLog{}, nil))}
	release := make(chan struct{})
	defer close(release)
	h := s.pagesWithin(50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/payouts" && r.Method == http.MethodGet {
			<-release // a database that hangs
		} else {
			time.Sleep(100 * time.Millisecond) // past the deadline, but answering
		}
		w.Write([]byte("answered"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/payouts", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
		!strings.Contains(rec.Body.String(), "Not answered in time") || !strings.Contains(rec.Body.String(), "Nothing was changed") {
		t.Errorf("a page that hangs: %d %v\n%s", rec.Code, rec.Header(), rec.Body.String())
	}
	for _, req := range []*http.Request{httptest.NewRequest("GET", "/payouts.csv", nil), httptest.NewRequest("POST", "/payouts/P-1/recheck", nil)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != "answered" {
			t.Errorf("%s %s, slower than a page's deadline: %d %q; want it answered", req.Method, req.URL.Path, rec.Code, rec.Body.String())
		}
	}
}

// Every request gets an id, answered in X-Request-Id: the caller's when it
// is a plain token, else a new one; the access log line carries it, and
// leaves out the probes and a webhook taken (it has its own line).
func TestRequestIDsAndTheAccessLog(t *testing.T) {
	var logged strings.Builder
	m := &metrics{log: slog.New(slog.NewTextHandler(&logged, nil))}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "r"}, []string{"route", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/payouts/{ref}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(handlers.RequestID(r.Context())))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	h := m.instrument(mux, mux)
	for given, same := range map[string]bool{"lb-7f3a.9": true, "": false, "bad id\nwith a line": false, strings.Repeat("x", 65): false} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/payouts/P-1", nil)
		req.Header.Set("X-Request-Id", given)
		h.ServeHTTP(rec, req)
		id := rec.Header().Get("X-Request-Id")
		if id == "" || rec.Body.String() != id || (id == given) != same {
			t.Errorf("given %q: answered %q, handler saw %q", given, id, rec.Body.String())
		}
		if !strings.Contains(logged.String(), "request_id="+id) {
			t.Errorf("given %q: the access log lacks request_id=%s:\n%s", given, id, logged.String())
		}
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	if strings.Contains(logged.String(), "/healthz") {
		t.Error("a probe is in the access log")
	}
	if !strings.Contains(logged.String(), `route="GET /api/v1/payouts/{ref}"`) || !strings.Contains(logged.String(), "status=200") {
		t.Errorf("access log:\n%s", logged.String())
	}
}
