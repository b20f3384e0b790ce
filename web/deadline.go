package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"payops/handlers"
)

// machineDeadline bounds how long the platform's API and the providers'
// webhook endpoint keep a caller waiting. A database that hangs rather than
// refuses (a frozen server, a partition without a reset) blocks lib/pq past
// any context; without a bound the caller's own timeout is what answers, with
// no status and no Retry-After. Both callers retry what is not answered 2xx,
// and both ends are idempotent (a payout by its reference, a delivery by its
// event id), so work that completes after the 503 is answered as recorded
// when it comes again. Starting a drill is not (a retry finds it running):
// it is left out.
const machineDeadline = 10 * time.Second

// pageDeadline bounds how long a dashboard page (a GET, not an export)
// keeps an operator waiting on a database that hangs: longer than the
// machines', as a person's heaviest search may take a few seconds, and
// short of a browser's own patience. A post is not bounded: it may still
// complete after an answer saying it failed, and exports stream for
// minutes.
const pageDeadline = 15 * time.Second

// lateJSON answers a machine's request not answered in time: 503 with
// Retry-After and body (JSON).
func lateJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(body + "\n"))
	}
}

// pagesWithin bounds the dashboard's pages (GET and HEAD, but not the CSV
// exports) by d (pageDeadline): one not answered in time gets the error
// page saying so (handlers.ErrNotInTime), 503 with Retry-After. It wraps the
// session's lookup too (the first query a hung database would hold), so
// that page is drawn without the user's header.
func (s *Server) pagesWithin(d time.Duration, next http.Handler) http.Handler {
	bounded := answerWithin(d, func(w http.ResponseWriter, r *http.Request) {
		handlers.Fail(w, r, s.log, handlers.ErrNotInTime)
	}, s.log, "page", next.ServeHTTP)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasSuffix(r.URL.Path, ".csv") {
			bounded(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// answerWithin answers with late (a 503 saying so) for a request next
// has not answered within d, logging it as what; next keeps running,
// its context cancelled, and what it writes after that is dropped. What next
// answers in time goes out as it wrote it. A panic in next is the caller's,
// as if it ran here; after the 503, it is logged here.
//
// The body is read by next, within the deadline: a sender too slow to send
// it in d is answered 503 and retries, as for a slow database.
func answerWithin(d time.Duration, late http.HandlerFunc, log *slog.Logger, what string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		bw := &heldWriter{header: make(http.Header)}
		finished := make(chan any, 1)
		go func() {
			defer func() {
				p := recover()
				bw.mu.Lock()
				late := bw.late
				bw.mu.Unlock()
				if late && p != nil {
					log.Error("panic in handler after its deadline was answered", "path", handlers.LogPath(r),
						"request_id", handlers.RequestID(r.Context()), "panic", p, "stack", string(debug.Stack()))
				}
				finished <- p
			}()
			next(bw, r.WithContext(ctx))
		}()
		select {
		case p := <-finished:
			if p != nil {
				panic(p)
			}
			bw.mu.Lock()
			defer bw.mu.Unlock()
			for k, v := range bw.header {
				w.Header()[k] = v
			}
			w.WriteHeader(max(bw.code, http.StatusOK))
			w.Write(bw.body.Bytes())
		case <-ctx.Done():
			bw.mu.Lock()
			bw.late = true
			bw.mu.Unlock()
			if r.Context().Err() != nil {
				return // the caller left
			}
			msg := what + " not answered in time: answered 503"
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				msg += ", the work may still complete"
			}
			log.Warn(msg, "path", handlers.LogPath(r), "request_id", handlers.RequestID(r.Context()), "deadline", d)
			late(w, r)
		}
	}
}

// heldWriter holds a response until answerWithin sends it, or drops it
// once the deadline has answered.
type heldWriter struct {
	mu     sync.Mutex
	header http.Header
	code   int
	body   bytes.Buffer
	late   bool
}

func (h *heldWriter) Header() http.Header { return h.header }

func (h *heldWriter) WriteHeader(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.code == 0 && !h.late {
		h.code = code
	}
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.late {
		return 0, http.ErrHandlerTimeout
	}
	if h.code == 0 {
		h.code = http.StatusOK
	}
	return h.body.Write(p)
}
