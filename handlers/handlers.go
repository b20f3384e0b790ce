// Package handlers holds payops' HTTP handlers: each parses the request,
// calls the store or a service, and renders a view model. Routes are in web.
package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"payops/adapters"
	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// Store is what the dashboard's handlers read.
type Store interface {
	PayoutByRef(ctx context.Context, ref string, m store.RefMode) (store.Payout, error)
	StuckPayouts(ctx context.Context, f store.StuckFilter) ([]store.Payout, store.StuckTotal, error)
	StuckSummary(ctx context.Context, before, now time.Time, test bool) ([]store.StuckCount, error)
	StuckPausedByProvider(ctx context.Context, before time.Time, test bool) ([]store.ProviderCount, error)
	StatusCounts(ctx context.Context, test bool) ([]store.StatusCount, error)
	EventsFor(ctx context.Context, payoutID int64) ([]store.Event, error)
	AuditFor(ctx context.Context, entityType, entityID string) ([]store.AuditEntry, error)
	PayoutAudit(ctx context.Context, p store.Payout) ([]store.AuditEntry, error)
	DeliveriesFor(ctx context.Context, payoutID int64) ([]store.Delivery, error)
	LedgerFor(ctx context.Context, p store.Payout) ([]store.LedgerEntry, error)
	GateEvaluationsFor(ctx context.Context, payoutID int64) ([]store.GateEvaluation, error)
	ArchivesSince(ctx context.Context, since time.Time) ([]store.Archive, error)
	DeliveryStore
	FindStore
	ProfileStore
	AuditStore
	HoldStore
	ReconStore
	DrillStore
	UserAdminStore
	TokenAdminStore
	WebhookAdminStore
	JobStore
	StuckStore
	OverviewStore
	NotifyStore
	MarketStore
	ExceptionStore
	ProviderHealthStore
	HistoryStore
}

// Rechecker asks a provider about a payout and applies the answer.
type Rechecker interface {
	Recheck(ctx context.Context, ref string, m store.RefMode, source payout.Source, actor string) (jobs.Result, error)
}

// Handlers serves the dashboard pages.
type Handlers struct {
	Store      Store
	Rechecker  Rechecker
	Policy     payout.Policy // the release gates, evaluated again on release
	Scheduler  JobScheduler  // nil when this instance runs no jobs
	Days       DayReconciler
	Drills     DrillRunner // nil when drills run outside this payops
	StuckAfter time.Duration
	// Secure says the dashboard is served over HTTPS (PAYOPS_SECURE_COOKIES):
	// set-password links it shows start with https.
	Secure bool
	// APIRate is the API tokens' default rate a second (PAYOPS_API_RATE).
	APIRate int
	// EmailFrom is the address notices are emailed from; "" when
	// PAYOPS_SMTP_URL is not set and notices go to chat only.
	EmailFrom string
	// Outbound says where outbound webhook endpoints may point.
	Outbound payout.EndpointPolicy
	// Providers are the configured providers: the providers page lists
	// them and says which have a balance call.
	Providers adapters.Registry
	// Exports bounds the whole-list exports streaming at once (nil: no
	// bound).
	Exports *ExportSlots
	// History is how the history tables are kept (PAYOPS_ARCHIVE_DIR,
	// PAYOPS_RETENTION): the history and archive page says so.
	History HistorySettings
	Log     *slog.Logger
	Now     func() time.Time
}

// User is the signed-in user of a request.
type User struct {
	ID    int64
	Email string
	Name  string
	Role  payout.Role
	// Zone is where the user reads times: their own time zone, or the
	// business time zone; UTC when unknown.
	Zone *time.Location
	// TestData is the "View test data" switch: the lists and totals show
	// test payouts instead of live ones.
	TestData bool
	// DecidesFrom is when the user may first take a four-eyes decision
	// (payout.GrantWait); nil: at once.
	DecidesFrom *time.Time
}

// waiting says, when u's role was given from the dashboard too recently
// to decide at now (payout.Waiting), when they decide from; else "".
func (u User) waiting(now time.Time) string {
	if !payout.Waiting(u.DecidesFrom, now) {
		return ""
	}
	return upperFirst(payout.WaitingWhy(u.stamp(*u.DecidesFrom)))
}

// testData reports whether the request's user views test data.
func testData(ctx context.Context) bool {
	u, _ := UserFrom(ctx)
	return u.TestData
}

// zone returns the user's time zone, UTC when none is set.
func (u User) zone() *time.Location {
	if u.Zone == nil {
		return time.UTC
	}
	return u.Zone
}

// stamp formats a time for this user's tables, in their time zone and
// naming it: "2026-12-02 13:45:07 UTC", or outside UTC with the offset too,
// "2026-12-02 19:15:07 IST (UTC+05:30)", since an abbreviation alone can
// mean two zones (PST is Manila's and Los Angeles') or be a bare "+08".
func (u User) stamp(t time.Time) string {
	if u.zone() == time.UTC {
		return t.UTC().Format("2006-01-02 15:04:05 MST")
	}
	return t.In(u.zone()).Format("2006-01-02 15:04:05 MST (UTC-07:00)")
}

// utcStamp finds the times a stored text wrote in UTC ("since 2026-12-02
// 21:45 UTC": a case's summary, made once for every reader).
var utcStamp = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\b`)

// localStamps writes the UTC times in text in u's zone, as every other time
// on the page.
func (u User) localStamps(text string) string {
	if u.zone() == time.UTC {
		return text
	}
	return utcStamp.ReplaceAllStringFunc(text, func(s string) string {
		t, err := time.Parse("2006-01-02 15:04 MST", s)
		if err != nil {
			return s
		}
		return t.In(u.zone()).Format("2006-01-02 15:04 MST (UTC-07:00)")
	})
}

// stampPtr is stamp, with a dash for no time.
func (u User) stampPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return u.stamp(*t)
}

type userKey struct{}

// WithUser returns ctx carrying the signed-in user.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the signed-in user, if any.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// MetaFor returns the layout's view model for the request.
func MetaFor(r *http.Request, title, active string) views.Meta {
	m := views.Meta{Title: title, Active: active}
	if u, ok := UserFrom(r.Context()); ok {
		m.User = &views.UserBadge{Name: u.Name, Role: string(u.Role), Drills: u.Role.Can(payout.ActRunDrills),
			Audit: u.Role.Can(payout.ActReadAudit), Markets: u.Role.Can(payout.ActReadMarkets), Settings: u.Role.Can(payout.ActManageUsers) ||
				u.Role.Can(payout.ActManageTokens) || u.Role.Can(payout.ActConfigureNotify) ||
				u.Role.Can(payout.ActManageWebhooks)}
		m.TestData, m.Here = u.TestData, hereWithoutNotice(r.URL)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A page answering a post (a refusal shown again) is not at
			// the post's address, which a GET cannot open: the Test switch
			// comes back to the page the post came from.
			m.Here = "/"
			if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && ref.Path != "" {
				m.Here = hereWithoutNotice(ref)
			}
		}
	}
	return m
}

// shownOnceAt makes m, the meta of a page answering a post with something
// shown once, give address as the page's own (Meta.Address), the Test
// switch's way back included.
func shownOnceAt(m *views.Meta, address string) {
	m.Address = address
	if m.User != nil {
		m.Here = address
	}
}

// hereWithoutNotice is the page's address to come back to (the Test
// switch's next) without ?done=: what an action did is said once, on the
// page the action led to (static/app.js drops it from the address bar too).
func hereWithoutNotice(u *url.URL) string {
	q := u.Query()
	if !q.Has("done") {
		return u.RequestURI()
	}
	q.Del("done")
	return withQuery(u.EscapedPath(), q.Encode())
}

// pages are the buffers Render renders into.
var pages = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render writes partial when the request comes from HTMX and full otherwise.
// The page is rendered whole before anything is sent, so it goes out in one
// write with its length, and a page that fails to render is a 500, not half
// a page.
func Render(w http.ResponseWriter, r *http.Request, status int, full, partial templ.Component) {
	c := full
	if partial != nil && r.Header.Get("HX-Request") == "true" {
		c = partial
	}
	buf := pages.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 { // a rare huge page is not kept
			pages.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		slog.Default().Error("render", "err", err)
		http.Error(w, "The page could not be drawn. Try again; if it keeps failing, tell the payops team.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns the caller's id when it is a plain token (up to 64
// letters, digits, '-', '_' or '.': a load balancer's or the platform's), so
// one request is found by one id across systems, else a new random one.
func NewRequestID(given string) string {
	if len(given) > 0 && len(given) <= 64 && strings.Trim(given,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return given
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
