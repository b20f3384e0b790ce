package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
)

// failedCase fails a payout after sending with the sandbox's closed-account
// code and scans: it returns the case's id.
func failedCase(t *testing.T, a *app, ref string) int64 {
	t.Helper()
	ctx := context.Background()
	a.addPayout(ref, payout.Processing, time.Hour)
	if _, err := a.store.ApplyObservation(ctx, ref, payout.Observation{Source: payout.SourceWebhook, RawStatus: "FAILED",
		Status: payout.Failed, FailureCode: sandbox.FailureCode, FailureReason: sandbox.FailureReason}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.ScanExceptions(ctx, a.deps.Providers.ClassifyFailure); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.PayoutByRef(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := a.store.CasesFor(ctx, p.ID)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases of %s: %v, %v", ref, cases, err)
	}
	return cases[0].ID
}

func TestExceptionActionsFollowThePermissionTable(t *testing.T) {
	a := newApp(t)
	for _, u := range []struct {
		email string
		role  payout.Role
	}{{"ops@example.com", payout.RoleOps}, {"finance@example.com", payout.RoleFinance}, {"admin@example.com", payout.RoleAdmin}} {
		a.addUser(u.email, u.role)
	}
	id := failedCase(t, a, "EXC-1")
	path := fmt.Sprintf("/exceptions/%d", id)
	ops, finance, admin := a.client(), a.client(), a.client()
	ops.login("ops@example.com")
	finance.login("finance@example.com")
	admin.login("admin@example.com")

	if code, page := finance.get(path); code != http.StatusOK || !strings.Contains(page, sandbox.FailureCode) {
		t.Fatalf("the case page for finance: %d", code)
	}
	if code, page := ops.get("/exceptions"); code != http.StatusOK || !strings.Contains(page, "EXC-1") {
		t.Fatalf("the queue for ops: %d", code)
	}
	if code, _ := ops.get("/exceptions?kind=nope"); code != http.StatusBadRequest {
		t.Errorf("an unknown kind: %d, want 400", code)
	}
	if code, _ := ops.get("/exceptions/999999"); code != http.StatusNotFound {
		t.Errorf("no such case: %d, want 404", code)
	}
	retry := url.Values{"ifsc": {"ICIC0000001"}, "note": {"corrected by the seller"}}
	if code, _, _ := finance.do("POST", path+"/retry", retry, nil); code != http.StatusForbidden {
		t.Errorf("finance retries a payout: %d, want 403", code)
	}
	if code, _, _ := ops.do("POST", path+"/resolve", url.Values{"note": {"ok"}}, nil); code != http.StatusBadRequest {
		t.Errorf("a resolve without a written reason: %d, want 400", code)
	}
	c, _ := a.store.CaseByID(context.Background(), id)
	if !c.Open() {
		t.Fatal("a refused action changed the case")
	}
	if code, _, h := ops.do("POST", path+"/resolve", url.Values{"note": {"beneficiary asked to update the account"}}, nil); code != http.StatusSeeOther ||
		!strings.Contains(h.Get("Location"), "done=resolved") {
		t.Fatalf("resolve: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := ops.do("POST", path+"/resolve", url.Values{"note": {"resolving it again"}}, nil); code != http.StatusConflict {
		t.Errorf("resolving a resolved case: %d, want 409", code)
	}

	// The owners page sets the kinds' owners and SLAs, admins only.
	form := url.Values{}
	for _, k := range payout.CaseKinds {
		form.Set("sla_"+string(k), "2")
	}
	if code, _, _ := ops.do("POST", "/exceptions/owners", form, nil); code != http.StatusForbidden {
		t.Errorf("ops sets case owners: %d, want 403", code)
	}
	form.Set("sla_anomaly", "0")
	if code, _, _ := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusBadRequest {
		t.Errorf("an SLA of 0: %d, want 400", code)
	}
	form.Set("sla_anomaly", "0.5")
	if code, _, h := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusSeeOther ||
		!strings.Contains(h.Get("Location"), "saved=cases") {
		t.Fatalf("save case owners: %d", code)
	}
	kinds, err := a.store.CaseKinds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if want := map[bool]int{true: 30, false: 120}[k.Kind == payout.CaseAnomaly]; k.SLAMinutes != want {
			t.Errorf("%s SLA %d min, want %d", k.Kind, k.SLAMinutes, want)
		}
	}
	if _, page := admin.get("/"); !strings.Contains(page, `id="exceptions-total"`) {
		t.Error("the overview has no exceptions tile")
	}

}
