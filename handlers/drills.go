package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/drill"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// DrillStore is what the drills pages read.
type DrillStore interface {
	DrillRuns(ctx context.Context, limit int) ([]store.DrillRun, error)
	DrillRunByID(ctx context.Context, id int64) (store.DrillRun, error)
	Markets(ctx context.Context) ([]store.MarketDoc, error) // the form's choice of market
}

// DrillRunner starts a drill in the background.
type DrillRunner interface {
	Start(ctx context.Context, n store.NewDrillRun, wait time.Duration, by store.Actor) (store.DrillRun, error)
}

// The form's choice, and the advice for a first drill: a well-behaved
// provider and a few payouts, done in seconds, before all-of-them.
const (
	firstScenario = "happy"
	firstPayouts  = "50"
)

// DrillsPage lists past drills and, to admins, starts new ones.
func (h *Handlers) DrillsPage(w http.ResponseWriter, r *http.Request) {
	h.drillsPage(w, r, http.StatusOK, firstScenario, drill.DefaultMarket, firstPayouts, "")
}

func (h *Handlers) drillsPage(w http.ResponseWriter, r *http.Request, status int, scenario, market, payouts,
	msg string) {
	runs, err := h.Store.DrillRuns(r.Context(), 50)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	docs, err := h.Store.Markets(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	d := views.Drills{Meta: MetaFor(r, "Failure drills", "drills"), Enabled: h.Drills != nil, Scenario: scenario,
		Market: market, Markets: drillMarkets(docs), Payouts: payouts, MaxPayouts: drill.MaxPayouts, Error: msg,
		FirstScenario: firstScenario, FirstPayouts: firstPayouts}
	for _, name := range drill.Names() {
		d.Scenarios = append(d.Scenarios, views.DrillScenario{Name: name, Description: drill.Descriptions[name]})
	}
	now := h.Now()
	u, _ := UserFrom(r.Context())
	for _, run := range runs {
		v := drillView(run, now, u)
		if run.State == store.DrillRunning && d.Current == nil {
			d.Current = &v
			continue
		}
		d.Past = append(d.Past, v)
	}
	Render(w, r, status, views.DrillsPage(d), nil)
}

// drillMarkets lists the markets a drill may run against: those with a
// launch document, and the default market, sorted.
func drillMarkets(docs []store.MarketDoc) []string {
	out := []string{drill.DefaultMarket}
	for _, d := range docs {
		if !slices.Contains(out, d.Market) {
			out = append(out, d.Market)
		}
	}
	slices.Sort(out)
	return out
}

// StartDrill starts a drill with the form's scenario, market and number of
// payouts and shows its page, where its progress is followed.
func (h *Handlers) StartDrill(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRunDrills) {
		Fail(w, r, h.Log, Forbidden(payout.ActRunDrills))
		return
	}
	scenario, payouts := r.PostFormValue("scenario"), strings.TrimSpace(r.PostFormValue("payouts"))
	market := strings.ToUpper(strings.TrimSpace(r.PostFormValue("market")))
	if market == "" {
		market = drill.DefaultMarket
	}
	refuse := func(msg string) { h.drillsPage(w, r, http.StatusUnprocessableEntity, scenario, market, payouts, msg) }
	if h.Drills == nil {
		refuse("Drills run outside this payops (PAYOPS_DRILL_SANDBOX_URL is set, for payops drill --supervise).")
		return
	}
	n, err := strconv.Atoi(payouts)
	if err != nil {
		n = 0 // not a number: refused below as out of range
	}
	req := store.NewDrillRun{Scenario: scenario, Market: market, Payouts: n}
	if err := drill.Check(req); err != nil {
		refuse(err.Error())
		return
	}
	run, err := h.Drills.Start(r.Context(), req, 0, actorOf(u))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, drillHref(run.ID))
}

// DrillPage shows one drill: its live progress, then its report.
func (h *Handlers) DrillPage(w http.ResponseWriter, r *http.Request) {
	run, err := h.drillRun(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	v := drillView(run, h.Now(), u)
	loc := h.Days.BusinessZone()
	end := h.Now()
	if run.FinishedAt != nil {
		end = *run.FinishedAt
	}
	v.PayoutsHref = "/payouts?" + url.Values{"provider": {payout.DrillProvider},
		"created_from": {run.StartedAt.In(loc).Format("2006-01-02")}, "created_to": {end.In(loc).Format("2006-01-02")}}.Encode()
	Render(w, r, http.StatusOK, views.DrillDetailPage(views.DrillPage{Meta: MetaFor(r, "Drill "+v.ID, "drills"), Run: v}),
		views.DrillProgress(v))
}

func (h *Handlers) drillRun(r *http.Request) (store.DrillRun, error) {
	id, err := pathID(r)
	if err != nil {
		return store.DrillRun{}, err
	}
	return h.Store.DrillRunByID(r.Context(), id)
}

func drillHref(id int64) string { return "/drills/" + strconv.FormatInt(id, 10) }

var drillStates = map[string]string{store.DrillRunning: "running", store.DrillPassed: "passed",
	store.DrillFailed: "FAILED", store.DrillInterrupted: "interrupted"}

var drillSteps = map[string]string{"starting": "Starting", "creating": "Creating payouts (step 1 of 2)",
	"converging": "Payouts agreeing with the provider (step 2 of 2)", "finished": "Finished"}

// drillView shapes a drill for its panel and the list. Its bar is Done of
// Total of its phase, as its words say.
func drillView(run store.DrillRun, now time.Time, u User) views.DrillRun {
	v := views.DrillRun{ID: strconv.FormatInt(run.ID, 10), Href: drillHref(run.ID), Scenario: run.Scenario,
		Market: run.Market, Payouts: run.Payouts, State: run.State, StateLabel: drillStates[run.State], Phase: run.Phase,
		Step: cmp.Or(drillSteps[run.Phase], run.Phase), Done: run.Done, Total: run.Total, StartedBy: run.StartedBy,
		StartedAt: u.stamp(run.StartedAt), Error: run.Error, Converged: "—", NotConverged: "—"}
	end := now
	if run.FinishedAt != nil {
		end = *run.FinishedAt
	}
	v.Duration = span(end.Sub(run.StartedAt))
	if run.State == store.DrillRunning && run.Phase == "converging" && len(run.Waiting) > 0 {
		var w drill.Waiting
		if err := json.Unmarshal(run.Waiting, &w); err == nil {
			v.Waiting = waitingView(w, run.NextRecheckAt, now)
		}
	}
	if len(run.Report) > 0 {
		var rep drill.Report
		if err := json.Unmarshal(run.Report, &rep); err == nil {
			v.Report = reportView(rep)
			v.Converged = "did not converge"
			if rep.Converged > 0 {
				v.Converged = span(rep.Converged)
			}
			v.NotConverged = strconv.Itoa(rep.NotConverged)
		}
	}
	return v
}

// waitingView says what a converging drill waits for, and when the re-check
// it runs comes next.
func waitingView(w drill.Waiting, next *time.Time, now time.Time) *views.DrillWaiting {
	v := &views.DrillWaiting{Total: w.Total(), Settling: w.Settling}
	for _, why := range []views.DrillReason{
		{Key: "not-sent", Count: w.NotSent, Label: "not sent yet: the provider has no such payout (payops sends it, " +
			"or tries again after the provider failed to answer)"},
		{Key: "at-provider", Count: w.AtProvider, Label: "stuck at the provider: QUEUED or PROCESSING there, " +
			"not decided yet"},
		{Key: "unheard", Count: w.Unheard, Label: "decided at the provider, not yet in payops: waiting for a " +
			"webhook or the next re-check"},
		{Key: "other", Count: w.Other, Label: "in the provider's state, with another UTR or ledger postings"},
	} {
		if why.Count > 0 {
			v.Reasons = append(v.Reasons, why)
		}
	}
	if next != nil {
		v.NextRecheck = "due now"
		if d := next.Sub(now); d >= time.Second {
			v.NextRecheck = "in " + span(d.Truncate(time.Second))
		}
	}
	return v
}

func reportView(rep drill.Report) *views.DrillReport {
	c := rep.Sandbox
	zero := func(label string, n int) views.DrillFigure {
		return views.DrillFigure{Label: label, Value: int64(n), Bad: n != 0}
	}
	v := &views.DrillReport{
		MustBeZero: []views.DrillFigure{zero("Forged webhooks accepted", rep.ForgedAccepted),
			zero("Duplicate ledger postings", rep.DuplicatePostings), zero("Currencies not balanced", rep.Unbalanced),
			zero("Payouts not converged", rep.NotConverged),
			zero("Underpaid payouts without an amount case", rep.MissingAmountCases),
			zero("Amount cases on payouts paid in full", rep.StrayAmountCases),
			zero("Payouts sent while paused by a downtime notice", rep.SentWhilePaused)},
		Sandbox: []views.DrillFigure{{Label: "Payouts created", Value: c.Created}, {Label: "Refused for funds", Value: c.Refused},
			{Label: "API errors (500, 429)", Value: c.APIErrors}, {Label: "API timeouts", Value: c.APITimeouts},
			{Label: "Webhooks sent", Value: c.WebhooksSent}, {Label: "Webhooks dropped", Value: c.Dropped},
			{Label: "Webhooks duplicated", Value: c.Duplicated}, {Label: "Webhooks forged", Value: c.Forged},
			{Label: "Webhooks replayed", Value: c.Replayed}, {Label: "Downtime notices", Value: c.DowntimeNotices},
			{Label: "Refused in the outage (503)", Value: c.DowntimeErrors}},
		Examples: rep.Examples,
	}
	if rep.CasesChecked {
		v.MustBeZero = append(v.MustBeZero, zero("Failed payouts without a failure case", rep.MissingFailedCases),
			zero("Failure or anomaly cases where none belongs", rep.StrayCases))
	}
	return v
}
