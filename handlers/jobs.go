package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
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

var jobNotices = map[string]string{
	"ran":     "The job ran; its result is below.",
	"running": "The job started and is still running; reload to see its result.",
	"busy":    "The job is running already, here or on another instance; nothing was started.",
}

// JobsPage lists the jobs: schedule, next run, latest run and its result.
func (h *Handlers) JobsPage(w http.ResponseWriter, r *http.Request) {
	runs, err := h.Store.LatestRuns(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	u, _ := UserFrom(r.Context())
	now := h.Now()
	vm := views.Jobs{Meta: MetaFor(r, "Jobs", "jobs"), CanRun: u.Role.Can(payout.ActRunJobs) && h.Scheduler != nil,
		Off: h.Scheduler == nil, Notice: jobNotices[r.URL.Query().Get("done")]}
	rows := map[string]*views.JobRow{}
	if h.Scheduler != nil {
		for _, j := range h.Scheduler.Jobs() {
			next := "in " + ago(j.Next, now)
			if j.Next.Sub(now) < time.Minute {
				next = "within a minute"
			}
			rows[j.Name] = &views.JobRow{Name: j.Name, Schedule: j.Schedule, Next: next, LastStart: "—",
				Scheduled: true, RunURL: "/jobs/" + url.PathEscape(j.Name) + "/run"}
		}
	}
	for _, run := range runs {
		row, ok := rows[run.Job]
		if !ok {
			row = &views.JobRow{Name: run.Job, Schedule: "—", Next: "—"}
			rows[run.Job] = row
		}
		row.LastStart, row.Trigger, row.Instance = agoPtr(now, &run.StartedAt), run.Trigger, run.Instance
		row.Examined, row.Changed, row.Error = run.Examined, run.Changed, run.Error
		if run.FinishedAt == nil {
			row.Running, row.Duration = true, ago(now, run.StartedAt)
		} else {
			row.Duration = took(run.FinishedAt.Sub(run.StartedAt))
		}
	}
	for _, row := range rows {
		vm.Rows = append(vm.Rows, *row)
	}
	sort.Slice(vm.Rows, func(i, j int) bool { return vm.Rows[i].Name < vm.Rows[j].Name })
	Render(w, r, http.StatusOK, views.JobsPage(vm), nil)
}

func took(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// RunJob runs a job now for an admin: it waits a moment for the result and
// leaves a long run going in the background, recorded like any other.
func (h *Handlers) RunJob(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActRunJobs) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	if h.Scheduler == nil {
		Fail(w, r, h.Log, BadRequest("This instance runs no jobs (PAYOPS_JOBS=off)."))
		return
	}
	name := r.PathValue("name")
	known := false
	for _, j := range h.Scheduler.Jobs() {
		known = known || j.Name == name
	}
	if !known {
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
	redirect(w, r, "/jobs?done="+result)
}
