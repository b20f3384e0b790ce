package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A request its handler answers in time goes out as written; one it does
// not is answered 503 with Retry-After and the body given, and what the
// handler writes after that is dropped; a panic is the caller's.
func TestAnswerWithin(t *testing.T) {
	var lateFor []string
	late := func(path string) { lateFor = append(lateFor, path) }
	quick := answerWithin(time.Second, `{"error":"x"}`, late, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("ok"))
	})
	rec := httptest.NewRecorder()
	quick(rec, httptest.NewRequest("POST", "/api/v1/payouts", nil))
	if rec.Code != http.StatusAccepted || rec.Body.String() != "ok" || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("in time: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}

	wrote := make(chan error, 1)
	slow := answerWithin(50*time.Millisecond, `{"error":"unavailable"}`, late, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a database that hangs: the context is all it sees
		time.Sleep(10 * time.Millisecond)
		_, err := w.Write([]byte("too late"))
		wrote <- err
	})
	rec = httptest.NewRecorder()
	slow(rec, httptest.NewRequest("POST", "/webhooks/sandbox", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
		strings.TrimSpace(rec.Body.String()) != `{"error":"unavailable"}` || len(lateFor) != 1 || lateFor[0] != "/webhooks/sandbox" {
		t.Errorf("too slow: %d %q %v, late %v", rec.Code, rec.Body.String(), rec.Header(), lateFor)
	}
	if err := <-wrote; err != http.ErrHandlerTimeout {
		t.Errorf("a write after the deadline: %v", err)
	}

	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("panic %v, want boom", p)
		}
	}()
	answerWithin(time.Second, "", late, func(http.ResponseWriter, *http.Request) { panic("boom") })(httptest.NewRecorder(),
		httptest.NewRequest("GET", "/api/v1/markets", nil))
}
