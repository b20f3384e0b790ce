// Package web is payops' HTTP server: routes (all in one file), sessions,
// sign-in, roles, CSRF protection, security headers and metrics.
package web

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"payops/adapters"
	"payops/handlers"
	"payops/payout"
	"payops/store"
)

// Config is what the server needs beyond its dependencies.
type Config struct {
	SessionKey    []byte
	SecureCookies bool
	SessionIdle   time.Duration // a session ends after this long without a request; DefaultSessionIdle when 0
	StuckAfter    time.Duration
	Policy        payout.Policy // the release gates' configuration
	// APIRate and APIBurst limit each API token's requests a second
	// (PAYOPS_API_RATE); 50 and twice the rate when zero.
	APIRate, APIBurst int
	// WebhookTolerance is how far a webhook's own send time may be from the
	// time it arrives (payout.DefaultWebhookTolerance when zero).
	WebhookTolerance time.Duration
	// EmailFrom is the address notices are emailed from; "" when
	// PAYOPS_SMTP_URL is not set.
	EmailFrom string
	// Outbound says where outbound webhook endpoints may point
	// (PAYOPS_WEBHOOK_ALLOW_PRIVATE).
	Outbound payout.EndpointPolicy
	// TrustedProxies are the proxies whose X-Forwarded-For names the client
	// (PAYOPS_TRUSTED_PROXIES); none when empty.
	TrustedProxies []string
	// MetricsToken, when set, is the bearer token /metrics asks for
	// (PAYOPS_METRICS_TOKEN); without it /metrics answers the internal
	// network only.
	MetricsToken string
	// History is how the history tables are kept (PAYOPS_ARCHIVE_DIR,
	// PAYOPS_RETENTION, job runs' pruning), for the history page.
	History handlers.HistorySettings
}

// Store is everything the server's handlers read and write.
type Store interface {
	handlers.Store
	handlers.WebhookStore
	handlers.APIStore
	handlers.DowntimeRecorder
	UserStore
	Ping(ctx context.Context) error
}

// Deps are the server's collaborators, wired in main.
type Deps struct {
	Store     Store
	Rechecker handlers.Rechecker
	Scheduler handlers.JobScheduler // nil with PAYOPS_JOBS=off
	Days      handlers.DayReconciler
	Drills    handlers.DrillRunner // nil when drills run outside (PAYOPS_DRILL_SANDBOX_URL)
	Providers adapters.Registry
	Static    fs.FS                // served under /static/
	Metrics   *prometheus.Registry // receives the server's metrics, served at /metrics
	// Deliveries, when not nil, counts webhook deliveries by provider and
	// outcome (payops_webhook_deliveries_total).
	Deliveries handlers.DeliveryCounter
	// MaxPause is how long a provider's downtime notice pauses it at most
	// (PAYOPS_DOWNTIME_MAX_PAUSE); handlers.DefaultMaxPause when zero.
	MaxPause time.Duration
	Log      *slog.Logger
	Now      func() time.Time // the clock of sessions and sign-in; time.Now when nil
}

// Server is the dashboard and its endpoints as an http.Handler.
type Server struct {
	log          *slog.Logger
	users        UserStore
	db           interface{ Ping(context.Context) error }
	sessions     *sessions.CookieStore
	idle         time.Duration // how long a session lasts without a request
	zones        *zones        // users' time zones, loaded once each
	throttleKey  []byte        // keys the sign-in throttle's email and address counts
	metricsToken string        // PAYOPS_METRICS_TOKEN; "" serves /metrics to the internal network only
	secure       bool          // behind HTTPS (PAYOPS_SECURE_COOKIES): Secure cookies and HSTS
	now          func() time.Time
	handler      http.Handler
	metrics      *metrics
	dashboard    []Route
}

// New returns the server.
func New(cfg Config, d Deps) (*Server, error) {
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("web: the session key must be at least 32 bytes")
	}
	s := &Server{
		log:          d.Log,
		users:        d.Store,
		db:           d.Store,
		sessions:     newSessionStore(cfg.SessionKey, cfg.SecureCookies),
		idle:         cmp.Or(cfg.SessionIdle, DefaultSessionIdle),
		throttleKey:  deriveKey(cfg.SessionKey, "payops sign-in throttle"),
		metricsToken: cfg.MetricsToken,
		secure:       cfg.SecureCookies,
		zones:        newZones(time.UTC),
		now:          d.Now,
		metrics:      newMetrics(d.Metrics, d.Log),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if d.Days != nil {
		s.zones = newZones(d.Days.BusinessZone())
	}
	rate := cmp.Or(cfg.APIRate, 50)
	h := &handlers.Handlers{Store: d.Store, Rechecker: d.Rechecker, Scheduler: d.Scheduler, Days: d.Days, Drills: d.Drills,
		Policy: cfg.Policy, StuckAfter: cfg.StuckAfter, Secure: cfg.SecureCookies, APIRate: rate, EmailFrom: cfg.EmailFrom,
		Outbound: cfg.Outbound, Providers: d.Providers, Exports: handlers.NewExportSlots(handlers.MaxExports), History: cfg.History, Log: d.Log,
		Now: time.Now}
	wh := &handlers.Webhooks{Store: d.Store, Providers: d.Providers, Log: d.Log, Tolerance: cfg.WebhookTolerance,
		Now: time.Now, Counter: d.Deliveries, Downtimes: d.Store, MaxPause: d.MaxPause}
	api := &handlers.API{Store: d.Store, Providers: d.Providers.Names, Policy: cfg.Policy, Drills: d.Drills, Log: d.Log,
		Rate: rate, Burst: cmp.Or(cfg.APIBurst, 2*rate), Limiter: handlers.NewRateLimiter[int64](), Now: time.Now}
	s.handler = handlers.TrustProxies(cfg.TrustedProxies, s.routes(h, wh, api, d.Static, d.Metrics))
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz answers 503 while the database does not answer, so a load balancer
// stops sending traffic; the process keeps running and recovers with it.
//
// The answer comes within 2 s even when the database hangs rather than
// refuses (a frozen server: lib/pq's read then outlives its context): the
// ping is waited for that long, no longer.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	pinged := make(chan error, 1)
	go func() { pinged <- s.db.Ping(ctx) }()
	var err error
	select {
	case err = <-pinged:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	handlers.Fail(w, r, s.log, store.ErrNotFound)
}

// securityHeaders sets headers every response carries: a strict content
// security policy (scripts and styles from this site only), no framing, no
// sniffing, and no referrer leaking payout references to other sites; and
// behind HTTPS (secure: PAYOPS_SECURE_COOKIES) HSTS, so a browser never
// tries plain http to payops again.
func securityHeaders(next http.Handler, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.URL.Path != "/static/htmx.min.js" && r.URL.Path != "/static/app.css" && r.URL.Path != "/static/app.js" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic in a handler into a 500 page and a log line,
// never a stack trace on the page.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", handlers.LogPath(r), "request_id", handlers.RequestID(r.Context()), "panic", v)
				handlers.Fail(w, r, s.log, errPanic)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

var errPanic = errors.New("handler panicked")

// metricsHandler serves the registry.
func metricsHandler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !handlers.MetricsAllowed(r, token) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte("/metrics is served to the internal network (loopback and private addresses), " +
				"or with Authorization: Bearer and PAYOPS_METRICS_TOKEN\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Form bodies are capped before they are parsed: signing in is open to
// anyone and takes an email, a password and a path back, so a few KiB; the
// dashboard's own forms carry at most a 1000-character reason and 100 hold
// ids. Multipart uploads and the API have caps of their own.
const (
	maxLoginBody = 8 << 10
	maxFormBody  = 64 << 10
)

// textOnly refuses a request whose address, or whose form for the
// dashboard's own posts, carries bytes that are not text: invalid UTF-8 or
// NUL. The database would refuse them later as a fault; here they are the
// sender's mistake and are told so (400), before anything is read or
// changed. A form over its cap is refused (413) before it is parsed. The API
// checks its own requests, to answer in JSON; multipart uploads and JSON
// bodies are checked where they are parsed.
func (s *Server) textOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") { // the API answers in JSON, itself
			next.ServeHTTP(w, r)
			return
		}
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil && !strings.HasPrefix(r.URL.Path, "/webhooks/") {
			// r.URL.Query() drops a pair it cannot read (a raw ";", a bad
			// %-escape) without a word: a filter written so would list
			// everything instead of what was asked for. (A provider's
			// delivery reads no query: it is stored and answered as any.)
			how := "write a % in a value as %25"
			if strings.Contains(err.Error(), "semicolon") {
				how = "separate its parameters with &, and write a ; in a value as %3B"
			}
			handlers.Fail(w, r, s.log, handlers.BadRequest("The address's query cannot be read ("+err.Error()+"): "+how+"."))
			return
		}
		ok := payout.IsText(r.URL.Path) && payout.IsText(r.URL.RawQuery)
		for _, vs := range r.URL.Query() {
			for _, v := range vs {
				ok = ok && payout.IsText(v)
			}
		}
		post := r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/webhooks/")
		if post && r.URL.Path == "/login" {
			// Whatever its content type: no one reads more of it.
			r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
		}
		if post && !isForm(r.Header.Get("Content-Type")) && !strings.HasSuffix(r.URL.Path, "/upload") {
			// Only the settlement report's upload is multipart (its handler
			// caps it); any other body is held to a form's cap, and a
			// multipart one is refused before anything parses it to disk.
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				handlers.Fail(w, r, s.log, handlers.BadRequest(
					"Send the form as application/x-www-form-urlencoded: only a settlement report is uploaded as a file."))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		}
		if ok && post && isForm(r.Header.Get("Content-Type")) {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
			if err := r.ParseForm(); err != nil {
				if _, tooLarge := errors.AsType[*http.MaxBytesError](err); !tooLarge {
					err = handlers.BadRequest("The form could not be read: " + err.Error())
				}
				handlers.Fail(w, r, s.log, err)
				return
			}
			for k, vs := range r.PostForm {
				ok = ok && payout.IsText(k)
				for _, v := range vs {
					ok = ok && payout.IsText(v)
				}
			}
		}
		if !ok {
			handlers.Fail(w, r, s.log, handlers.BadRequest("The request contains bytes that are not text (invalid UTF-8 or NUL). Send plain text."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isForm reports whether contentType names a URL-encoded form, with any
// parameters (charset=utf-8) and in any case, as ParseForm reads it.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}
