package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"payops/payout"
	"payops/store"
)

// heldPayout sends a payout through the API that edit makes fail a gate and
// returns its open hold's id.
func (a *app) heldPayout(ref string, edit func(m map[string]any)) string {
	a.t.Helper()
	code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody(ref, edit))
	if code != http.StatusAccepted || p["status"] != "HELD" {
		a.t.Fatalf("%s: %d %v", ref, code, p)
	}
	return strconv.FormatInt(int64(p["holds"].([]any)[0].(map[string]any)["id"].(float64)), 10)
}

func (a *app) holdState(id string) string {
	a.t.Helper()
	var s string
	if err := a.store.DB().Get(&s, `SELECT state FROM holds WHERE id = $1`, id); err != nil {
		a.t.Fatal(err)
	}
	return s
}

func (a *app) status(ref string) payout.Status {
	a.t.Helper()
	p, err := a.store.PayoutByRef(context.Background(), ref, store.First(true))
	if err != nil {
		a.t.Fatal(err)
	}
	return p.Status
}

func expiredTax(m map[string]any) { ben(m)["tax_artifact"] = "expired" }
func bigAmount(m map[string]any)  { m["amount"] = "250000.00" }

func TestHoldActionsFollowRolesAndFourEyes(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("ops@example.com", payout.RoleOps)
	a.addUser("c1@example.com", payout.RoleCompliance)
	a.addUser("c2@example.com", payout.RoleCompliance)
	id := a.heldPayout("HA-1", expiredTax)

	ops := a.client()
	ops.login("ops@example.com")
	_, page := ops.get("/payouts/HA-1")
	if strings.Contains(page, `id="release-`+id) || !strings.Contains(page, "Add evidence") || !strings.Contains(page, "tax artifact is expired") {
		t.Fatal("ops sees a Release button, or no evidence form, or no gate answer")
	}
	if strings.Contains(page, "Re-check with") {
		t.Fatal("a payout never sent offers Re-check")
	}
	if code, _, _ := ops.do("POST", "/holds/"+id+"/release", url.Values{"note": {"ops wants it out"}}, nil); code != http.StatusForbidden {
		t.Fatalf("ops release: %d, want 403", code)
	}
	if code, _, _ := ops.do("POST", "/holds/"+id+"/reject", url.Values{"note": {"ops wants it gone"}}, nil); code != http.StatusForbidden {
		t.Fatalf("ops reject: %d, want 403", code)
	}
	if a.holdState(id) != "open" || a.status("HA-1") != payout.Held {
		t.Fatal("a refused action changed the hold")
	}

	c1 := a.client()
	c1.login("c1@example.com")
	// Compliance's release is refused while the artifact is still expired.
	code, body, _ := c1.do("POST", "/holds/"+id+"/release", url.Values{"note": {"seller called, all fine"}, "seen": {a.seen(id)}}, nil)
	if code != http.StatusConflict || !strings.Contains(body, "tax artifact is expired") {
		t.Fatalf("release with the gate failing: %d", code)
	}
	// c1 records the renewed artifact, so c1 may not release it.
	code, _, h := c1.do("POST", "/holds/"+id+"/evidence", url.Values{"note": {"renewed certificate on file"},
		"url": {"https://docs.example.com/tax/77"}, "tax_artifact": {"present"}}, nil)
	// Back to the payout's page (a test payout's: its mode named), saying so.
	if code != http.StatusSeeOther || h.Get("Location") != "/payouts/HA-1?mode=test&done=evidence#hold-"+id {
		t.Fatalf("add evidence: %d %s", code, h.Get("Location"))
	}
	// Ops adds a note after it: c1's evidence still counts, so c1 still
	// may not release (the latest evidence alone once decided).
	code, _, _ = ops.do("POST", "/holds/"+id+"/evidence", url.Values{"note": {"seller asked for an update"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("ops adds a note: %d", code)
	}
	code, body, _ = c1.do("POST", "/holds/"+id+"/release", url.Values{"note": {"certificate checked"}, "seen": {a.seen(id)}}, nil)
	if code != http.StatusForbidden || !strings.Contains(body, "you added evidence to this hold") {
		t.Fatalf("four-eyes after another user's note: %d %.200s", code, body)
	}
	_, page = c1.get("/payouts/HA-1")
	if !strings.Contains(page, "four-eyes-"+id) || strings.Contains(page, `id="release-`+id) {
		t.Fatal("the evidence adder is offered the Release button")
	}

	c2 := a.client()
	c2.login("c2@example.com")
	// c2 opened the page before ops' last note: the release names it and
	// decides nothing; a link typed into the decision would be dropped, so
	// it is refused too.
	_, page = c2.get("/payouts/HA-1")
	shown := attr(byName(t, page, "seen"), "value")
	var before string
	if err := a.store.DB().Get(&before, `SELECT max(id)::text FROM hold_evidence WHERE hold_id = $1 AND id < (SELECT max(id) FROM hold_evidence WHERE hold_id = $1)`, id); err != nil {
		t.Fatal(err)
	}
	if shown == "" || shown == before {
		t.Fatalf("the form says it showed evidence %q, want the latest", shown)
	}
	code, body, _ = c2.do("POST", "/holds/"+id+"/release", url.Values{"note": {"certificate checked by a second person"},
		"seen": {before}}, nil)
	if code != http.StatusConflict || !strings.Contains(body, "seller asked for an update") || a.holdState(id) != "open" {
		t.Fatalf("release on a page older than the last evidence: %d, hold %s", code, a.holdState(id))
	}
	code, _, _ = c2.do("POST", "/holds/"+id+"/release", url.Values{"note": {"certificate checked by a second person"},
		"seen": {shown}, "url": {"https://docs.example.com/tax/78"}}, nil)
	if code != http.StatusBadRequest || a.holdState(id) != "open" {
		t.Fatalf("release carrying a link: %d, want 400 and nothing decided", code)
	}
	if code, _, _ := c2.do("POST", "/holds/"+id+"/release", url.Values{"note": {"ok"}}, nil); code != http.StatusBadRequest {
		t.Fatalf("release with a two-letter reason: %d, want 400", code)
	}
	code, _, h = c2.do("POST", "/holds/"+id+"/release", url.Values{"note": {"certificate checked by a second person"},
		"seen": {shown}}, nil)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=released") {
		t.Fatalf("release: %d %s", code, h.Get("Location"))
	}
	if a.holdState(id) != "released" || a.status("HA-1") != payout.Queued {
		t.Fatalf("after release: hold %s, payout %s", a.holdState(id), a.status("HA-1"))
	}
	if a.submit() != 1 || a.createsOf("HA-1") != 1 {
		t.Fatal("the released payout was not sent through the sandbox")
	}
	_, page = c2.get("/payouts/HA-1?done=released")
	for _, want := range []string{"Hold released", "released by c2@example.com", "certificate checked by a second person", "hold.release", "https://docs.example.com/tax/77"} {
		if !strings.Contains(page, want) {
			t.Errorf("payout page lacks %q", want)
		}
	}
}

func TestBulkHoldActionsReportEachHold(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.withToken()
	a.addUser("c1@example.com", payout.RoleCompliance)
	a.addUser("ops@example.com", payout.RoleOps)
	big1 := a.heldPayout("BK-1", bigAmount)
	big2 := a.heldPayout("BK-2", bigAmount)
	// A read-only market holds live payouts only: BK-3 goes to a real
	// provider under a live token; BK-1 and 2 are the sandbox's test payouts.
	live := a.token(store.TokenSpec{Name: "shop-live", Scope: payout.ScopeLive})
	code, p, _ := a.api("POST", "/api/v1/payouts", live, apiBody("BK-3", func(m map[string]any) {
		m["market"], m["provider"] = "PH", "nxtbanking"
	}))
	if code != http.StatusAccepted || p["status"] != "HELD" {
		t.Fatalf("BK-3: %d %v", code, p)
	}
	ph := strconv.FormatInt(int64(p["holds"].([]any)[0].(map[string]any)["id"].(float64)), 10)

	ops := a.client()
	ops.login("ops@example.com")
	ops.viewTestData()
	if code, _, _ := ops.do("POST", "/holds/bulk", url.Values{"action": {"release"}, "hold": {big1}, "note": {"ops bulk release"}}, nil); code != http.StatusForbidden {
		t.Fatalf("ops bulk release: %d, want 403", code)
	}
	_, page := ops.get("/holds")
	if !strings.Contains(page, "BK-1") || strings.Contains(page, `value="release"`) {
		t.Fatal("ops' holds list lacks a hold or offers release")
	}

	c1 := a.client()
	c1.login("c1@example.com")
	c1.viewTestData()
	code, body, _ := c1.do("POST", "/holds/bulk", a.withSeen(url.Values{"action": {"release"}, "hold": {big1, big2, ph},
		"note": {"reviewed the three together"}}, big1, big2, ph), map[string]string{"HX-Request": "true"})
	if code != http.StatusOK || strings.Count(body, `class="ok"`) != 2 || !strings.Contains(body, "market PH is read-only") {
		t.Fatalf("bulk release: %d %s", code, body)
	}
	if a.status("BK-1") != payout.Queued || a.status("BK-2") != payout.Queued || a.status("BK-3") != payout.Held {
		t.Fatal("bulk release did not release exactly the two that pass their gates")
	}
	if code, _, _ := c1.do("POST", "/holds/bulk", a.withSeen(url.Values{"action": {"reject"}, "hold": {ph}, "note": {""}}, ph), nil); code != http.StatusBadRequest {
		t.Fatalf("bulk without a reason: %d", code)
	}
	code, _, _ = c1.do("POST", "/holds/bulk", a.withSeen(url.Values{"action": {"reject"}, "hold": {ph}, "note": {"market stays closed"}}, ph), nil)
	if code != http.StatusOK || a.status("BK-3") != payout.Cancelled {
		t.Fatalf("bulk reject: %d, payout %s", code, a.status("BK-3"))
	}
	_, page = c1.get("/holds")
	if !strings.Contains(page, "holds-empty") {
		t.Fatal("decided holds still listed")
	}
}

func TestAdminsSetHoldOwners(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("tax@example.com", payout.RoleCompliance)
	a.addUser("head@example.com", payout.RoleCompliance)
	a.addUser("ops@example.com", payout.RoleOps)
	var tax, head int64
	a.store.DB().Get(&tax, `SELECT id FROM users WHERE email = 'tax@example.com'`)
	a.store.DB().Get(&head, `SELECT id FROM users WHERE email = 'head@example.com'`)
	form := url.Values{}
	for _, r := range payout.Reasons {
		form.Set("sla_"+string(r), "24")
	}
	form.Set("owner_tax_artifact", strconv.FormatInt(tax, 10))
	form.Set("next_tax_artifact", strconv.FormatInt(head, 10))
	form.Set("sla_tax_artifact", "1.5")

	ops := a.client()
	ops.login("ops@example.com")
	ops.viewTestData() // the API's sandbox payouts are test payouts
	if code, _, _ := ops.do("POST", "/holds/owners", form, nil); code != http.StatusForbidden {
		t.Fatalf("ops sets owners: %d", code)
	}
	admin := a.client()
	admin.login("admin@example.com")
	if code, _, h := admin.do("POST", "/holds/owners", form, nil); code != http.StatusSeeOther || h.Get("Location") != "/holds/owners?saved=holds" {
		t.Fatalf("admin sets owners: %d", code)
	}
	bad := url.Values{"sla_tax_artifact": {"-1"}}
	if code, _, _ := admin.do("POST", "/holds/owners", bad, nil); code != http.StatusBadRequest {
		t.Fatalf("negative SLA: %d", code)
	}
	id := a.heldPayout("OW-1", expiredTax)
	var owner int64
	var minutes float64
	a.store.DB().QueryRow(`SELECT owner_id, extract(epoch FROM sla_due_at - placed_at) / 60 FROM holds WHERE id = $1`, id).Scan(&owner, &minutes)
	if owner != tax || int(minutes+0.5) != 90 {
		t.Fatalf("new tax hold: owner %d, SLA %v min", owner, minutes)
	}
	// The owner sees it under "mine"; escalation hands it to the head.
	taxc := a.client()
	taxc.login("tax@example.com")
	taxc.viewTestData()
	if _, page := taxc.get("/holds?owner=mine"); !strings.Contains(page, "OW-1") {
		t.Fatal("the tax owner's holds lack OW-1")
	}
	if code, _, _ := ops.do("POST", "/holds/"+id+"/escalate", url.Values{"note": {"seller unreachable for days"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("escalate: %d", code)
	}
	a.store.DB().Get(&owner, `SELECT owner_id FROM holds WHERE id = $1`, id)
	if owner != head {
		t.Fatalf("escalated to %d, want %d", owner, head)
	}
	if _, page := ops.get("/holds"); !strings.Contains(page, "escalated") {
		t.Fatal("the holds list does not show the escalation")
	}
}

// seen is what a page showing hold id now puts in its form's "seen" (the
// hold's newest evidence and its approvals, as handlers' shownOf writes
// them): a decision posted by a test as one made on the page.
func (a *app) seen(id string) string {
	a.t.Helper()
	var s string
	if err := a.store.DB().Get(&s, `SELECT (SELECT coalesce(max(id), 0) FROM hold_evidence WHERE hold_id = $1)::text || '.' ||
		(SELECT count(*) FROM hold_approvals WHERE hold_id = $1)::text`, id); err != nil {
		a.t.Fatal(err)
	}
	return s
}

// withSeen adds each bulk row's "seen-<id>" for holds ids to form, as the
// holds queue shows them now.
func (a *app) withSeen(form url.Values, ids ...string) url.Values {
	for _, id := range ids {
		form.Set("seen-"+id, a.seen(id))
	}
	return form
}
