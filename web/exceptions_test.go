package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// failedCase fails a payout after sending with the sandbox's closed-account
// code and scans: it returns the case's id.
func failedCase(t *testing.T, a *app, ref string) int64 {
	t.Helper()
	ctx := context.Background()
	a.addPayout(ref, payout.Processing, time.Hour)
	if _, err := a.store.ApplyObservation(ctx, ref, store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "FAILED",
		Status: payout.Failed, FailureCode: sandbox.FailureCode, FailureReason: sandbox.FailureReason}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.ScanExceptions(ctx, a.deps.Providers.ClassifyFailure); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.PayoutByRef(ctx, ref, store.First(true))
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
	// Its kind has no owner: the first admin stands in, and the page says
	// so. "Mine" lists it for the admin, not for ops; "Nobody" not at all.
	if _, page := admin.get("/exceptions?owner=mine"); !strings.Contains(page, "EXC-1") || !strings.Contains(page, "(stand-in)") {
		t.Error("the admin's mine filter does not list the case they stand in for")
	}
	if _, page := ops.get("/exceptions?owner=none"); strings.Contains(page, "EXC-1") {
		t.Error("the unassigned filter lists the case an admin stands in for")
	}
	if _, page := ops.get("/exceptions?owner=mine"); strings.Contains(page, "EXC-1") {
		t.Error("the mine filter lists a case ops does not own")
	}
	if _, page := ops.get(path); !strings.Contains(page, `id="case-stand-in"`) {
		t.Error("the case page does not say its owner stands in")
	}
	if code, _ := ops.get("/exceptions?owner=nobody"); code != http.StatusBadRequest {
		t.Errorf("an owner that names nobody: %d, want 400", code)
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
	if err != nil || len(kinds) != len(payout.CaseKinds) {
		t.Fatalf("case kinds %d, %v; want %d", len(kinds), err, len(payout.CaseKinds))
	}
	for _, k := range kinds {
		if want := map[bool]int{true: 30, false: 120}[k.Kind == payout.CaseAnomaly]; k.SLAMinutes != want {
			t.Errorf("%s SLA %d min, want %d", k.Kind, k.SLAMinutes, want)
		}
	}
	// A failure class gets its own owner of failed payouts' cases; the form
	// that leaves a class out keeps its owner.
	fin := a.userID("finance@example.com")
	form.Set("class_owner_funding", fin)
	form.Set("class_owner_auth", "")
	if code, _, _ := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusSeeOther {
		t.Fatalf("save a funding owner: %d", code)
	}
	form.Del("class_owner_funding")
	if code, _, _ := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusSeeOther {
		t.Fatalf("save without the class: %d", code)
	}
	if owners, err := a.store.ClassOwners(context.Background()); err != nil || len(owners) != 1 ||
		fmt.Sprint(owners[payout.FailFunding].OwnerID) != fin {
		t.Errorf("class owners %+v %v; want funding to finance", owners, err)
	}
	_, page := admin.get("/holds/owners")
	if sel := byName(t, page, "class_owner_funding"); sel == nil || selectedValue(sel) != fin {
		t.Error("the owners page does not show funding's owner selected")
	}
	if _, page := ops.get("/holds/owners"); !strings.Contains(textOf(byID(t, page, "class-owner-funding")), "finance") ||
		byName(t, page, "class_owner_funding") != nil {
		t.Error("ops does not read funding's owner, or may change it")
	}
	form.Set("class_owner_funding", "x")
	if code, _, _ := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusBadRequest {
		t.Errorf("a class owner that is not a user: %d, want 400", code)
	}
	if _, page := admin.get("/"); !strings.Contains(page, `id="exceptions-total"`) {
		t.Error("the overview has no exceptions tile")
	}

}

// Reassign, escalate and re-check from the case page, each as the table
// allows: compliance may work a case but not re-check; ops may both.
func TestCaseReassignEscalateAndRecheck(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addUser("lead@example.com", payout.RoleOps)
	ctx := context.Background()
	lead, err := a.store.UserByEmail(ctx, "lead@example.com")
	if err != nil {
		t.Fatal(err)
	}
	id := failedCase(t, a, "EXC-2")
	path := fmt.Sprintf("/exceptions/%d", id)
	ops, comp := a.client(), a.client()
	ops.login("ops@example.com")
	comp.login("compliance@example.com")

	if code, _, _ := comp.do("POST", path+"/escalate", url.Values{"note": {"needs the lead"}}, nil); code != http.StatusConflict {
		t.Errorf("escalate with no escalation owner set: %d, want 409", code)
	}
	if _, page := comp.get(path); byID(t, page, "no-escalation") == nil {
		t.Error("the case page does not say why there is no Escalate")
	} else if got, _ := textByID(t, page, "case-next-step"); got == "" {
		t.Error("the failed payout's case does not say what comes next")
	}
	form := url.Values{}
	for _, k := range payout.CaseKinds {
		form.Set("sla_"+string(k), "4")
	}
	form.Set("next_failed_after_send", fmt.Sprint(lead.ID))
	admin := a.client()
	a.addUser("admin@example.com", payout.RoleAdmin)
	admin.login("admin@example.com")
	if code, _, _ := admin.do("POST", "/exceptions/owners", form, nil); code != http.StatusSeeOther {
		t.Fatalf("set the escalation owner: %d", code)
	}
	if code, _, _ := comp.do("POST", path+"/escalate", url.Values{"note": {"needs the lead"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("escalate: %d", code)
	}
	c, _ := a.store.CaseByID(ctx, id)
	if c.OwnerID == nil || *c.OwnerID != lead.ID || c.EscalatedAt == nil {
		t.Errorf("after Escalate the case is %+v, want the lead's, escalated", c)
	}
	opsUser, _ := a.store.UserByEmail(ctx, "ops@example.com")
	if code, _, _ := comp.do("POST", path+"/reassign", url.Values{"note": {"ops knows this seller"},
		"owner": {fmt.Sprint(opsUser.ID)}}, nil); code != http.StatusSeeOther {
		t.Fatalf("reassign: %d", code)
	}
	if c, _ = a.store.CaseByID(ctx, id); c.OwnerID == nil || *c.OwnerID != opsUser.ID {
		t.Errorf("after Reassign the owner is %v, want ops", c.OwnerID)
	}
	if code, _, _ := comp.do("POST", path+"/reassign", url.Values{"note": {"to nobody"}, "owner": {"x"}}, nil); code != http.StatusBadRequest {
		t.Errorf("reassign to no user: %d, want 400", code)
	}
	if code, _, _ := comp.do("POST", path+"/recheck", nil, nil); code != http.StatusForbidden {
		t.Errorf("compliance re-checks: %d, want 403", code)
	}
	if code, _, h := ops.do("POST", path+"/recheck", nil, nil); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=rechecked") {
		t.Fatalf("ops re-checks: %d %s", code, h.Get("Location"))
	}
	_, page := ops.get(path + "?done=rechecked")
	if !strings.Contains(page, "exception.reassign") || !strings.Contains(page, "exception.escalate") ||
		!strings.Contains(page, "exception.recheck") {
		t.Error("the case's history does not show the reassignment, the escalation and the Re-check")
	}
	// The page says what the Re-check learnt, from its record.
	if notice, _ := textByID(t, page, "notice"); !strings.HasPrefix(notice, "Re-checked with the provider: ") ||
		!strings.Contains(notice, "(the payout is ") {
		t.Errorf("the notice after Re-check %q does not say what the provider answered", notice)
	}
}

// The queue shows a hundred cases a page, most urgent first, with links to
// the rest (it said how many there were, and showed the first hundred).
func TestTheExceptionsQueueHasPages(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	ctx := context.Background()
	for i := range 101 {
		if _, err := store.OpenCase(ctx, a.store.DB(), store.NewCase{Kind: payout.CaseOrphanWebhook,
			Subject: fmt.Sprintf("webhook:nxtbanking:ev-%03d", i), Summary: fmt.Sprintf("orphan ev-%03d", i),
			Evidence: map[string]any{"event": i}, Livemode: true}); err != nil {
			t.Fatal(err)
		}
	}
	ops := a.client()
	ops.login("ops@example.com")
	_, page := ops.get("/exceptions?kind=orphan_webhook")
	if pager, _ := textByID(t, page, "pager"); !strings.Contains(pager, "Page 1 of 2") || !strings.Contains(pager, "Next") {
		t.Fatalf("pager %q, want page 1 of 2 with a next link", pager)
	}
	code, page := ops.get("/exceptions?kind=orphan_webhook&page=2")
	if code != http.StatusOK || strings.Count(page, `id="case-`) != 1 || !strings.Contains(page, "orphan ev-100") {
		t.Errorf("page 2: %d, want the 101st case alone", code)
	}
	if code, _ := ops.get("/exceptions?page=0"); code != http.StatusBadRequest {
		t.Errorf("page 0: %d, want 400", code)
	}
}

// selectedValue is the value of a select's selected option ("" for none).
func selectedValue(sel *html.Node) string {
	for c := sel.FirstChild; c != nil; c = c.NextSibling {
		for _, a := range c.Attr {
			if c.Data == "option" && a.Key == "selected" {
				return attr(c, "value")
			}
		}
	}
	return ""
}

// The queue filters by a failed payout's failure class; an unknown class is
// a clear 400.
func TestExceptionsFilterByFailureClass(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	id := failedCase(t, a, "EXC-CL")
	c, err := a.store.CaseByID(context.Background(), id)
	if err != nil || c.FailureClass == "" {
		t.Fatalf("case %d: %+v %v", id, c, err)
	}
	other := payout.FailFunding
	if c.FailureClass == string(other) {
		other = payout.FailAuth
	}
	fin := a.client()
	fin.login("finance@example.com")
	if !c.Livemode {
		fin.viewTestData()
	}
	row := fmt.Sprintf(`id="case-%d"`, id)
	if _, page := fin.get("/exceptions?class=" + c.FailureClass); !strings.Contains(page, row) ||
		selectedValue(byName(t, page, "class")) != c.FailureClass {
		t.Errorf("filtered by its own class (%s), the case is missing or the filter not shown", c.FailureClass)
	}
	if _, page := fin.get("/exceptions"); !strings.Contains(page, `class="badge class-badge" href="/exceptions?class=`+c.FailureClass+`"`) {
		t.Error("the case's class badge does not lead to the queue of its class")
	}
	if _, page := fin.get("/exceptions?class=" + string(other)); strings.Contains(page, row) || byID(t, page, "cases-empty") == nil {
		t.Errorf("filtered by %s, the %s case shows", other, c.FailureClass)
	}
	if code, _ := fin.get("/exceptions?class=bogus"); code != http.StatusBadRequest {
		t.Errorf("an unknown class: %d, want 400", code)
	}
}
