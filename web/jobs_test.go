package web_test

import (
	"net/http"
	"strings"
	"testing"

	"payops/payout"
)

func TestJobsPageRunsAJobForAdminsOnly(t *testing.T) {
	a := newApp(t, withJobs())
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)

	admin := a.client()
	admin.login("admin@example.com")
	_, page := admin.get("/jobs")
	if !strings.Contains(page, `id="job-hold-sla"`) || !strings.Contains(page, "Run now") || !strings.Contains(page, "@every 1h") {
		t.Fatal("jobs page lacks the job or its Run now button")
	}
	code, _, h := admin.do("POST", "/jobs/hold-sla/run", nil, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/jobs?done=ran" {
		t.Fatalf("run now: %d %s", code, h.Get("Location"))
	}
	_, page = admin.get("/jobs?done=ran")
	if !strings.Contains(page, "manual on test-1") || !strings.Contains(page, "The job ran") {
		t.Fatal("the manual run is not shown")
	}
	if code, _, _ := admin.do("POST", "/jobs/nope/run", nil, nil); code != http.StatusNotFound {
		t.Fatalf("unknown job: %d", code)
	}

	ops := a.client()
	ops.login("ops@example.com")
	if _, page := ops.get("/jobs"); strings.Contains(page, "Run now") || !strings.Contains(page, "hold-sla") {
		t.Fatal("ops sees Run now, or not the jobs")
	}
	if code, _, _ := ops.do("POST", "/jobs/hold-sla/run", nil, nil); code != http.StatusForbidden {
		t.Fatalf("ops run now: %d", code)
	}
	var runs int
	a.store.DB().Get(&runs, `SELECT count(*) FROM job_runs WHERE job = 'hold-sla'`)
	if runs != 1 {
		t.Fatalf("%d runs recorded, want 1", runs)
	}
}
