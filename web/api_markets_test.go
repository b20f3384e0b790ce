package web_test

import (
	"context"
	"net/http"
	"testing"

	"payops/payout"
	"payops/store"
)

func TestAPIHoldsAPayoutToAReadOnlyMarket(t *testing.T) {
	a := newApp(t, withLiveProvider())
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	code, p, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody("RO-1", func(m map[string]any) { m["market"], m["provider"] = "PH", "nxtbanking" }))
	if code != http.StatusAccepted || p["status"] != "HELD" {
		t.Fatalf("a payout to PH (no launch document): %d %v, want 202 HELD", code, p)
	}
	holds, _ := p["holds"].([]any)
	if len(holds) != 1 || holds[0].(map[string]any)["reason"] != string(payout.ReasonMarket) {
		t.Fatalf("holds %v, want one market_read_only hold", p["holds"])
	}
}

func TestAPIListsMarkets(t *testing.T) {
	a := newApp(t)
	a.withToken()
	ctx := context.Background()
	// PH read-only by a document with its settlement path.
	doc := payout.LaunchDoc{Market: "PH", Settlement: payout.Settlement{Rail: payout.RailFiat, PostingWindow: "T+2 by 17:00 PHT"}}
	if _, err := a.store.ApplyMarketDocs(ctx, []payout.LaunchDoc{doc}, store.ApplyOptions{}, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	code, body, _ := a.api("GET", "/api/v1/markets", apiToken, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/markets: %d %v", code, body)
	}
	byMarket := map[string]map[string]any{}
	for _, m := range body["markets"].([]any) {
		mk := m.(map[string]any)
		byMarket[mk["market"].(string)] = mk
	}
	ph, in := byMarket["PH"], byMarket["IN"]
	if ph == nil || ph["state"] != "read_only" || ph["program"] != payout.DefaultProgram {
		t.Fatalf("PH %v, want read_only in the default program", ph)
	}
	if got := ph["settlement"].(map[string]any)["posting_window"]; got != "T+2 by 17:00 PHT" {
		t.Errorf("PH posting window %v, want the document's", got)
	}
	if in == nil || in["state"] != "live" {
		t.Errorf("IN %v, want live", in)
	}
	if code, _, _ := a.api("GET", "/api/v1/markets", "", ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", code)
	}
}

// A payout names its program: the document for its market and program
// decides, the market's default program standing in for a program with
// none. The API answers the program back and refuses a bad one, naming it.
func TestAPIPayoutsFollowTheirProgramsDocument(t *testing.T) {
	a := newApp(t, withLiveProvider())
	apiLive := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	ctx := context.Background()
	// IN's default program is live (seeded); IN/lenders gets a read-only one.
	lenders := payout.LaunchDoc{Market: "IN", Program: "lenders", Settlement: payout.Settlement{Rail: payout.RailFiat}}
	if _, err := a.store.ApplyMarketDocs(ctx, []payout.LaunchDoc{lenders}, store.ApplyOptions{}, store.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	send := func(ref, program string) (int, map[string]any) {
		code, body, _ := a.api("POST", "/api/v1/payouts", apiLive, apiBody(ref, func(m map[string]any) {
			m["provider"] = "nxtbanking"
			if program != "" {
				m["program"] = program
			}
		}))
		return code, body
	}
	code, body := send("PROG-1", "lenders")
	if code != http.StatusAccepted || body["status"] != "HELD" || body["program"] != "lenders" || body["market"] != "IN" {
		t.Fatalf("a payout to IN/lenders (read-only): %d %v, want 202 HELD in program lenders", code, body)
	}
	if code, body = send("PROG-2", "sellers"); code != http.StatusAccepted || body["status"] != "QUEUED" || body["program"] != "sellers" {
		t.Fatalf("a payout to IN/sellers (no document: IN/default's decides): %d %v, want QUEUED", code, body)
	}
	if code, body = send("PROG-3", ""); code != http.StatusAccepted || body["program"] != payout.DefaultProgram {
		t.Fatalf("a payout naming no program: %d %v, want the default program", code, body)
	}
	code, body = send("PROG-4", "Bad Program")
	if fields, _ := body["fields"].(map[string]any); code != http.StatusUnprocessableEntity || fields["program"] == nil {
		t.Fatalf("a bad program: %d %v, want 422 naming program", code, body)
	}
	if p, err := a.store.PayoutByRef(ctx, "PROG-4", store.First(true)); err == nil {
		t.Fatalf("a refused request left a payout: %+v", p)
	}
	// The same reference with another program is a different request.
	if code, body = send("PROG-1", "sellers"); code != http.StatusConflict {
		t.Fatalf("PROG-1 again in another program: %d %v, want 409", code, body)
	}
}
