package web

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"payops/handlers"
	"payops/payout"
)

// Route is one of the dashboard's routes and who may use it.
type Route struct {
	Pattern string        // "POST /holds/{id}/release"
	Access  payout.Action // Public, SignedIn, or the action of the permission table it takes
	handler http.HandlerFunc
}

// The two kinds of access that are not an action of the permission table.
const (
	Public   payout.Action = "" // no sign-in: the sign-in page itself
	SignedIn payout.Action = "signed-in"
)

// Routes returns the dashboard's routes with the access each needs, for
// tests that walk them.
func (s *Server) Routes() []Route { return s.dashboard }

// guard lets a request through to next when its user may, by the access:
// anyone for Public, a signed-in user for SignedIn, otherwise a user whose
// role may take the action by the permission table (403 for other roles).
func (s *Server) guard(access payout.Action, next http.HandlerFunc) http.HandlerFunc {
	switch access {
	case Public:
		return next
	case SignedIn:
		return requireUser(next)
	}
	return requireUser(func(w http.ResponseWriter, r *http.Request) {
		if u, _ := handlers.UserFrom(r.Context()); !u.Role.Can(access) {
			handlers.Fail(w, r, s.log, handlers.Forbidden(access))
			return
		}
		next(w, r)
	})
}

// routes is every route of payops, in one place. Static files and
// /healthz never touch the database (/readyz pings it, /metrics reads its
// gauges from it); the webhook endpoint authenticates by the
// provider's signature and the platform API by bearer token; the dashboard's
// routes load the signed-in user first and are guarded by the permission
// table (payout/permissions.go). Unsafe methods are guarded against
// cross-site requests by the standard library's cross-origin protection
// (Sec-Fetch-Site / Origin); same-origin HTMX and form posts pass.
func (s *Server) routes(h *handlers.Handlers, wh *handlers.Webhooks, api *handlers.API, static fs.FS, reg *prometheus.Registry) http.Handler {
	s.dashboard = []Route{
		{"GET /login", Public, s.loginPage},
		{"POST /login", Public, s.login},
		{"POST /logout", Public, s.logout},
		// A set-password link proves itself by its random token.
		{"GET /set-password/{token}", Public, s.setPasswordPage},
		{"POST /set-password/{token}", Public, s.setPassword},
		{"GET /{$}", SignedIn, h.Overview},
		{"GET /profile", SignedIn, h.Profile},
		{"POST /profile", SignedIn, h.SetTimeZone},
		{"POST /test-data", SignedIn, s.setTestData},
		{"GET /payouts", SignedIn, h.Payouts},
		{"GET /payouts.csv", SignedIn, h.PayoutsCSV},
		{"GET /payouts/stuck", SignedIn, h.Stuck},
		{"GET /payouts/{ref}", SignedIn, h.Payout},
		{"POST /payouts/{ref}/recheck", payout.ActRecheck, h.Recheck},
		{"GET /webhooks", SignedIn, h.WebhooksPage},
		{"GET /jobs", SignedIn, h.JobsPage},
		{"GET /jobs/{name}", SignedIn, h.JobPage},
		{"POST /jobs/{name}/run", payout.ActRunJobs, h.RunJob},
		{"GET /holds", SignedIn, h.Holds},
		{"GET /exceptions", SignedIn, h.Exceptions},
		{"POST /exceptions/owners", payout.ActConfigureHolds, h.SaveCaseOwners},
		{"GET /exceptions/{id}", SignedIn, h.Case},
		{"POST /exceptions/{id}/resolve", payout.ActWorkExceptions, h.CaseAction("resolve")},
		{"POST /exceptions/{id}/reassign", payout.ActWorkExceptions, h.CaseAction("reassign")},
		{"POST /exceptions/{id}/escalate", payout.ActWorkExceptions, h.CaseAction("escalate")},
		{"POST /exceptions/{id}/recheck", payout.ActRecheck, h.CaseAction("recheck")},
		{"POST /exceptions/{id}/retry", payout.ActRetryPayouts, h.CaseAction("retry")},
		// Bulk actions on holds: working them is checked here, deciding
		// them again per hold inside.
		{"POST /holds/bulk", payout.ActWorkHolds, h.HoldsBulk},
		{"GET /holds/owners", SignedIn, h.HoldOwners},
		{"POST /holds/owners", payout.ActConfigureHolds, h.SaveHoldOwners},
		{"POST /holds/{id}/release", payout.ActDecideHolds, h.HoldAction("release")},
		{"POST /holds/{id}/reject", payout.ActDecideHolds, h.HoldAction("reject")},
		{"POST /holds/{id}/evidence", payout.ActWorkHolds, h.HoldAction("evidence")},
		{"POST /holds/{id}/reassign", payout.ActWorkHolds, h.HoldAction("reassign")},
		{"POST /holds/{id}/escalate", payout.ActWorkHolds, h.HoldAction("escalate")},
		{"GET /markets", payout.ActReadMarkets, h.MarketsPage},
		{"GET /markets/{code}", payout.ActReadMarkets, h.MarketPage},
		{"POST /markets/{code}/propose", payout.ActLaunchMarkets, h.ProposeMarket},
		{"POST /markets/{code}/approve", payout.ActLaunchMarkets, h.ApproveMarket},
		{"POST /markets/{code}/withdraw", payout.ActLaunchMarkets, h.WithdrawMarket},
		{"POST /markets/{code}/read-only", payout.ActLaunchMarkets, h.MarketReadOnly},
		{"GET /providers", payout.ActReadProviders, h.ProvidersPage},
		{"GET /reconciliation", SignedIn, h.ReconGrid},
		{"GET /reconciliation/{provider}/{date}", SignedIn, h.ReconDayPage},
		{"GET /reconciliation/{provider}/{date}/totals.csv", SignedIn, h.ExportTotals},
		{"GET /reconciliation/{provider}/{date}/diffs.csv", SignedIn, h.ExportDiffs},
		{"GET /reconciliation/{provider}/{date}/records.csv", SignedIn, h.ExportRecords},
		{"POST /reconciliation/{provider}/{date}/run", payout.ActRunRecon, h.RunDay},
		{"POST /reconciliation/{provider}/{date}/upload", payout.ActCloseDays, h.UploadReport},
		{"POST /reconciliation/{provider}/{date}/signoff", payout.ActCloseDays, h.SignOffDay},
		{"POST /reconciliation/{provider}/{date}/resolve", payout.ActCloseDays, h.ResolveSelected},
		{"POST /reconciliation/diffs/{id}/recheck", payout.ActRecheckDiffs, h.RecheckDiff},
		{"POST /reconciliation/diffs/{id}/resolve", payout.ActCloseDays, h.ResolveDiff},
		{"GET /audit", payout.ActReadAudit, h.AuditPage},
		{"GET /audit.csv", payout.ActReadAudit, h.ExportAudit},
		{"GET /drills", payout.ActRunDrills, h.DrillsPage},
		{"POST /drills", payout.ActRunDrills, h.StartDrill},
		{"GET /drills/{id}", payout.ActRunDrills, h.DrillPage},
		{"GET /drills/{id}/progress", payout.ActRunDrills, h.DrillPage},
		{"GET /settings", SignedIn, h.SettingsPage},
		{"GET /settings/history", SignedIn, h.HistoryPage},
		{"GET /settings/users", payout.ActManageUsers, h.UsersPage},
		{"POST /settings/users", payout.ActManageUsers, h.AddUser},
		{"POST /settings/users/{id}/role", payout.ActManageUsers, h.UserAction("role")},
		{"POST /settings/users/{id}/disable", payout.ActManageUsers, h.UserAction("disable")},
		{"POST /settings/users/{id}/enable", payout.ActManageUsers, h.UserAction("enable")},
		{"POST /settings/users/{id}/link", payout.ActManageUsers, h.NewUserLink},
		{"GET /settings/tokens", payout.ActManageTokens, h.TokensPage},
		{"POST /settings/tokens", payout.ActManageTokens, h.CreateToken},
		{"GET /settings/tokens/{id}/revoke", payout.ActManageTokens, h.RevokeTokenPage},
		{"POST /settings/tokens/{id}/revoke", payout.ActManageTokens, h.RevokeToken},
		{"GET /settings/notifications", payout.ActConfigureNotify, h.NotifySettingsPage},
		{"POST /settings/notifications/{kind}", payout.ActConfigureNotify, h.SaveNotify},
		{"POST /settings/notifications/{kind}/test", payout.ActConfigureNotify, h.TestNotify},
		{"GET /notifications", payout.ActReadNotifications, h.NotificationsPage},
		{"GET /settings/webhooks", payout.ActManageWebhooks, h.WebhookEndpointsPage},
		{"POST /settings/webhooks", payout.ActManageWebhooks, h.AddWebhookEndpoint},
		{"GET /settings/webhooks/{id}", payout.ActManageWebhooks, h.WebhookEndpointPage},
		{"POST /settings/webhooks/{id}/rotate", payout.ActManageWebhooks, h.EndpointAction("rotate")},
		{"POST /settings/webhooks/{id}/disable", payout.ActManageWebhooks, h.EndpointAction("disable")},
		{"POST /settings/webhooks/{id}/enable", payout.ActManageWebhooks, h.EndpointAction("enable")},
		{"POST /settings/webhooks/{id}/test", payout.ActManageWebhooks, h.EndpointAction("test")},
		{"POST /settings/webhooks/deliveries/{id}/redeliver", payout.ActManageWebhooks, h.RedeliverWebhook},
	}

	app := http.NewServeMux()
	for _, rt := range s.dashboard {
		app.HandleFunc(rt.Pattern, s.guard(rt.Access, rt.handler))
	}
	app.HandleFunc("/", s.notFound)

	root := http.NewServeMux()
	root.Handle("GET /static/", noListing(http.StripPrefix("/static/", http.FileServerFS(static))))
	// Pages link /static/favicon.svg; a browser showing something else (a
	// CSV, the API's JSON) asks for /favicon.ico.
	root.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "favicon.svg")
	})
	root.HandleFunc("GET /healthz", s.healthz)
	root.HandleFunc("GET /readyz", s.readyz)
	root.Handle("GET /metrics", metricsHandler(reg, s.metricsToken))
	within := func(next http.HandlerFunc) http.HandlerFunc {
		return answerWithin(machineDeadline, lateJSON(`{"error":"unavailable","message":"payops did not answer in time; retry `+
			`(a request that creates sends the same body: it is answered once recorded, never recorded twice)"}`),
			s.log, "api request", next)
	}
	root.HandleFunc("POST /webhooks/{provider}", answerWithin(machineDeadline, handlers.WebhookUnavailable, s.log,
		"webhook", wh.Receive))
	// A provider's endpoint takes POST only: anything else is told so in
	// JSON, as the endpoint answers, not with the dashboard's 404 page.
	root.HandleFunc("/webhooks/{provider}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		w.Write([]byte(`{"error":"a provider's webhook endpoint takes POST only"}` + "\n"))
	})
	root.HandleFunc("POST /api/v1/payouts", within(api.Authenticated(api.CreatePayout)))
	root.HandleFunc("GET /api/v1/payouts", within(api.Authenticated(api.ListPayouts)))
	root.HandleFunc("GET /api/v1/payouts/{ref}", within(api.Authenticated(api.GetPayout)))
	root.HandleFunc("GET /api/v1/markets", within(api.Authenticated(api.ListMarkets)))
	root.HandleFunc("POST /api/v1/drills", api.Authenticated(api.StartDrill)) // not idempotent: no deadline
	root.HandleFunc("GET /api/v1/drills/{id}", within(api.Authenticated(api.GetDrill)))
	// Anything else under /api/ is answered in JSON, not by the dashboard.
	root.HandleFunc("/api/", handlers.NotFound(root))
	root.Handle("/", s.pagesWithin(pageDeadline, s.loadUser(app)))
	textOnly := s.textOnly(root)

	// Providers and the platform are servers, not browsers, and prove
	// themselves by signature or bearer token, never by a cookie.
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /webhooks/{provider}")
	cop.AddInsecureBypassPattern("POST /api/v1/payouts")
	cop.AddInsecureBypassPattern("POST /api/v1/drills")
	var handler http.Handler = textOnly
	handler = cop.Handler(handler)
	handler = securityHeaders(handler, s.secure)
	handler = s.recoverPanics(handler)
	handler = s.metrics.instrument(handler, root, app)
	return handler
}

// noListing serves files only: a folder's address (/static/) is not found
// rather than a listing of what is in it.
func noListing(files http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
