package web

import (
	"io/fs"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"payops/handlers"
	"payops/payout"
)

// routes is every route of payops, in one place. Probes, metrics and static
// files never touch the database; the webhook endpoint authenticates by the
// provider's signature and the platform API by bearer token; the dashboard's routes load the signed-in user first. Unsafe methods are guarded against cross-site requests by the
// standard library's cross-origin protection (Sec-Fetch-Site / Origin);
// same-origin HTMX and form posts pass.
func (s *Server) routes(h *handlers.Handlers, wh *handlers.Webhooks, api *handlers.API, static fs.FS, reg *prometheus.Registry) http.Handler {
	recheckers := []payout.Role{payout.RoleOps, payout.RoleAdmin}
	holdWorkers := []payout.Role{payout.RoleOps, payout.RoleCompliance}
	compliance := []payout.Role{payout.RoleCompliance}
	admins := []payout.Role{payout.RoleAdmin}
	finance := []payout.Role{payout.RoleFinance}
	reconcilers := []payout.Role{payout.RoleFinance, payout.RoleAdmin}
	diffCheckers := []payout.Role{payout.RoleFinance, payout.RoleOps, payout.RoleAdmin}

	app := http.NewServeMux()
	app.HandleFunc("GET /login", s.loginPage)
	app.HandleFunc("POST /login", s.login)
	app.HandleFunc("POST /logout", s.logout)
	app.HandleFunc("GET /{$}", requireUser(h.Overview))
	app.HandleFunc("GET /payouts/stuck", requireUser(h.Stuck))
	app.HandleFunc("GET /payouts/{ref}", requireUser(h.Payout))
	app.HandleFunc("GET /webhooks", requireUser(h.WebhooksPage))
	app.HandleFunc("POST /payouts/{ref}/recheck", s.requireRole(recheckers, h.Recheck))
	app.HandleFunc("GET /jobs", requireUser(h.JobsPage))
	app.HandleFunc("POST /jobs/{name}/run", s.requireRole(admins, h.RunJob))
	app.HandleFunc("GET /holds", requireUser(h.Holds))
	app.HandleFunc("POST /holds/bulk", s.requireRole(holdWorkers, h.HoldsBulk))
	app.HandleFunc("GET /holds/owners", requireUser(h.HoldOwners))
	app.HandleFunc("POST /holds/owners", s.requireRole(admins, h.SaveHoldOwners))
	app.HandleFunc("POST /holds/{id}/release", s.requireRole(compliance, h.HoldAction("release")))
	app.HandleFunc("POST /holds/{id}/reject", s.requireRole(compliance, h.HoldAction("reject")))
	for _, action := range []string{"evidence", "reassign", "escalate"} {
		app.HandleFunc("POST /holds/{id}/"+action, s.requireRole(holdWorkers, h.HoldAction(action)))
	}
	app.HandleFunc("GET /reconciliation", requireUser(h.ReconGrid))
	app.HandleFunc("GET /reconciliation/{provider}/{date}", requireUser(h.ReconDayPage))
	app.HandleFunc("GET /reconciliation/{provider}/{date}/totals.csv", requireUser(h.ExportTotals))
	app.HandleFunc("GET /reconciliation/{provider}/{date}/diffs.csv", requireUser(h.ExportDiffs))
	app.HandleFunc("POST /reconciliation/{provider}/{date}/run", s.requireRole(reconcilers, h.RunDay))
	app.HandleFunc("POST /reconciliation/{provider}/{date}/upload", s.requireRole(finance, h.UploadReport))
	app.HandleFunc("POST /reconciliation/{provider}/{date}/signoff", s.requireRole(finance, h.SignOffDay))
	app.HandleFunc("POST /reconciliation/diffs/{id}/recheck", s.requireRole(diffCheckers, h.RecheckDiff))
	app.HandleFunc("POST /reconciliation/diffs/{id}/resolve", s.requireRole(finance, h.ResolveDiff))
	app.HandleFunc("GET /drills", s.requireRole(admins, h.DrillsPage))
	app.HandleFunc("POST /drills", s.requireRole(admins, h.StartDrill))
	app.HandleFunc("GET /drills/{id}", s.requireRole(admins, h.DrillPage))
	app.HandleFunc("GET /drills/{id}/progress", s.requireRole(admins, h.DrillPage))
	app.HandleFunc("/", s.notFound)

	root := http.NewServeMux()
	root.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	root.HandleFunc("GET /healthz", s.healthz)
	root.HandleFunc("GET /readyz", s.readyz)
	root.Handle("GET /metrics", metricsHandler(reg))
	root.HandleFunc("POST /webhooks/{provider}", wh.Receive)
	root.HandleFunc("POST /api/v1/payouts", api.Authenticated(api.CreatePayout))
	root.HandleFunc("GET /api/v1/payouts/{ref}", api.Authenticated(api.GetPayout))
	root.Handle("/", s.loadUser(app))
	textOnly := s.textOnly(root)

	// Providers and the platform are servers, not browsers, and prove
	// themselves by signature or bearer token, never by a cookie.
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /webhooks/{provider}")
	cop.AddInsecureBypassPattern("POST /api/v1/payouts")
	var handler http.Handler = textOnly
	handler = cop.Handler(handler)
	handler = securityHeaders(handler)
	handler = s.recoverPanics(handler)
	handler = s.metrics.instrument(handler, root, app)
	return handler
}
