package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// JobScheduler is this instance's scheduler, or nil with PAYOPS_JOBS=off.
type JobScheduler interface {
	Jobs() []jobs.JobInfo
	RunNow(ctx context.Context, name string) (jobs.Outcome, error)
}

// JobStore is what the jobs pages read.
type JobStore interface {
	RecentRuns(ctx context.Context, perJob int) ([]store.JobRun, error)
	RunsOf(ctx context.Context, job string, limit int) ([]store.JobRun, error)
}

// jobRuns is how many of a job's runs its row lists.
const jobRuns = 20

var jobNotices = map[string]string{
	"ran":     "The job ran; its result is below.",
	"running": "The job started and is still running; reload to see its result.",
	"busy":    "The job is running already, here or on another instance; nothing was started.",
}

// JobsPage lists the jobs: schedule, next run, latest run and its result,
// and each job's last 20 runs.
func (h *Handlers) JobsPage(w http.ResponseWriter, r *http.Request) {
	runs, err := h.Store.RecentRuns(r.Context(), jobRuns)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := h.jobsView(r, "Jobs")
	vm.Notice = jobNotices[r.URL.Query().Get("done")]
	vm.Rows = h.jobRows(runs, "", userOf(r))
	Render(w, r, http.StatusOK, views.JobsPage(vm), nil)
}

// JobPage is one job with its last 20 runs open; from HTMX, the job's rows
// alone, which a running job's rows ask for every second.
func (h *Handlers) JobPage(w http.ResponseWriter, r *http.Request) {
	row, err := h.jobRow(r.Context(), r.PathValue("name"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := h.jobsView(r, "Job "+row.Name)
	page := row
	page.Open = true
	vm.One, vm.Rows = true, []views.JobRow{page}
	// The page opens the runs; the rows a running job asks for every second
	// leave them as the reader has them (app.js keeps an open list open),
	// or a poll on /jobs would open a list nobody asked for, and again
	// after it was closed.
	Render(w, r, http.StatusOK, views.JobsPage(vm), views.JobRowView(row, vm.CanRun))
}

func (h *Handlers) jobsView(r *http.Request, title string) views.Jobs {
	u, _ := UserFrom(r.Context())
	return views.Jobs{Meta: MetaFor(r, title, "jobs"), CanRun: u.Role.Can(payout.ActRunJobs) && h.Scheduler != nil,
		Off: h.Scheduler == nil}
}

// jobRow is the named job's row with its runs; ErrNotFound when it is
// neither scheduled here nor has ever run.
func (h *Handlers) jobRow(ctx context.Context, name string) (views.JobRow, error) {
	runs, err := h.Store.RunsOf(ctx, name, jobRuns)
	if err != nil {
		return views.JobRow{}, err
	}
	u, _ := UserFrom(ctx)
	rows := h.jobRows(runs, name, u)
	if len(rows) == 0 {
		return views.JobRow{}, store.ErrNotFound
	}
	return rows[0], nil
}

// jobRows shapes the jobs scheduled here and the jobs in runs (by job,
// newest first) into rows, by name; only the named job when only is set.
func (h *Handlers) jobRows(runs []store.JobRun, only string, u User) []views.JobRow {
	now := h.Now()
	rows := map[string]*views.JobRow{}
	if h.Scheduler != nil {
		for _, j := range h.Scheduler.Jobs() {
			if only != "" && j.Name != only {
				continue
			}
			next := "in " + ago(j.Next, now)
			switch {
			case j.Next.IsZero():
				next = "—" // the schedule has not started
			case j.Next.Sub(now) < time.Minute:
				next = "within a minute"
			}
			rows[j.Name] = &views.JobRow{Name: j.Name, Href: jobHref(j.Name), Schedule: j.Schedule, Next: next,
				LastStart: "never", Scheduled: true, RunURL: jobHref(j.Name) + "/run"}
		}
	}
	for _, run := range runs {
		row, ok := rows[run.Job]
		if !ok {
			row = &views.JobRow{Name: run.Job, Href: jobHref(run.Job), Schedule: "—", Next: "—", LastStart: "—"}
			rows[run.Job] = row
		}
		if len(row.Runs) == 0 {
			latestRun(row, run, now)
		}
		row.Runs = append(row.Runs, runRow(run, now, u))
	}
	out := make([]views.JobRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b views.JobRow) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// latestRun fills the job's row with its latest run.
func latestRun(row *views.JobRow, run store.JobRun, now time.Time) {
	row.Ran, row.LastStart, row.Trigger, row.Instance = true, agoPtr(now, &run.StartedAt), run.Trigger, run.Instance
	row.Examined, row.Changed, row.Error = run.Examined, run.Changed, run.Error
	switch {
	case run.Running:
		row.Running, row.Duration = true, "running for "+span(now.Sub(run.StartedAt))
	case run.FinishedAt == nil:
		row.Abandoned, row.Duration = true, "—"
	default:
		row.Duration = span(run.FinishedAt.Sub(run.StartedAt))
	}
}

func runRow(run store.JobRun, now time.Time, u User) views.JobRunRow {
	v := views.JobRunRow{ID: strconv.FormatInt(run.ID, 10), Started: u.stamp(run.StartedAt), Trigger: run.Trigger,
		Instance: run.Instance, Examined: run.Examined, Changed: run.Changed, Error: run.Error, State: "ok"}
	switch {
	case run.Running:
		v.State, v.Duration = "running", span(now.Sub(run.StartedAt))+" so far"
	case run.FinishedAt == nil:
		v.State, v.Duration = "abandoned", "—"
	default:
		v.Duration = span(run.FinishedAt.Sub(run.StartedAt))
		if run.Error != "" {
			v.State = "failed"
		}
	}
	return v
}

func jobHref(name string) string { return "/jobs/" + url.PathEscape(name) }

// RunJob runs a job now for an admin: it waits a moment for the result and
// leaves a long run going in the background, recorded like any other. From
// HTMX it answers with the job's rows, which follow a run still going.
func (h *Handlers) RunJob(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRunJobs) {
		Fail(w, r, h.Log, Forbidden(payout.ActRunJobs))
		return
	}
	if h.Scheduler == nil {
		Fail(w, r, h.Log, BadRequest("This instance runs no jobs (PAYOPS_JOBS=off)."))
		return
	}
	name := r.PathValue("name")
	if !slices.ContainsFunc(h.Scheduler.Jobs(), func(j jobs.JobInfo) bool { return j.Name == name }) {
		Fail(w, r, h.Log, store.ErrNotFound)
		return
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Scheduler.RunNow(context.WithoutCancel(r.Context()), name)
		done <- err
	}()
	result := "running"
	select {
	case err := <-done:
		result = "ran"
		if errors.Is(err, store.ErrJobBusy) {
			result = "busy"
		}
	case <-time.After(2 * time.Second):
	}
	if r.Header.Get("HX-Request") != "true" {
		redirect(w, r, "/jobs?done="+result)
		return
	}
	row, err := h.jobRow(r.Context(), name)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if result == "busy" {
		row.Notice = "Running already, here or on another instance: nothing was started."
	}
	Render(w, r, http.StatusOK, views.JobRowView(row, true), views.JobRowView(row, true))
}
