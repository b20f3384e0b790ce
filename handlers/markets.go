package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// MarketStore is what the markets pages read and write.
type MarketStore interface {
	Markets(ctx context.Context) ([]store.MarketDoc, error)
	MarketHeld(ctx context.Context) (map[string]int, error)
	MarketHistory(ctx context.Context, market, program string) ([]store.MarketDoc, error)
	MarketEvidence(ctx context.Context, market string) (payout.LaunchEvidence, error)
	OpenMarketProposal(ctx context.Context, market, program string) (store.MarketProposal, error)
	ProposeMarketDoc(ctx context.Context, d payout.LaunchDoc, by store.Actor, reason string) (store.MarketProposal, error)
	ApproveMarketProposal(ctx context.Context, id int64, by store.Actor, reason string, acceptUnverified bool) (store.DocApplied, error)
	WithdrawMarketProposal(ctx context.Context, id int64, by store.Actor, reason string) (store.MarketProposal, error)
	SetMarketReadOnly(ctx context.Context, market, program string, by store.Actor, reason string) (store.MarketDoc, error)
}

var marketCode = regexp.MustCompile(`^[A-Z]{2}$`)

// MarketsPage lists the markets with a launch document: state, owners and
// readiness; with ?code= it opens that market's page.
func (h *Handlers) MarketsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// The page's form opens a market by its code, documented or not.
	if code := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("code"))); code != "" {
		if !marketCode.MatchString(code) {
			Fail(w, r, h.Log, BadRequest("A market is a two-letter ISO country code such as PH."))
			return
		}
		http.Redirect(w, r, "/markets/"+code, http.StatusSeeOther)
		return
	}
	docs, err := h.Store.Markets(ctx)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	held, err := h.Store.MarketHeld(ctx)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	// A market with held payouts and no document is listed too, read-only.
	for code := range held {
		if !slices.ContainsFunc(docs, func(m store.MarketDoc) bool { return m.Market == code }) {
			docs = append(docs, store.MarketDoc{Market: code, Program: payout.DefaultProgram})
		}
	}
	slices.SortFunc(docs, func(a, b store.MarketDoc) int {
		return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Program, b.Program))
	})
	vm := views.Markets{Meta: MetaFor(r, "Markets", "markets")}
	for _, m := range docs {
		doc := payout.LaunchDoc{Market: m.Market, Program: m.Program}
		state := "Read-only: no launch document"
		if m.Version > 0 {
			if doc, err = m.Doc(); err != nil {
				Fail(w, r, h.Log, err)
				return
			}
			state = stateLabel(m.Live)
		}
		ev, err := h.Store.MarketEvidence(ctx, m.Market)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		row := views.MarketRow{Code: m.Market, Program: m.Program, Href: marketHref(m.Market, m.Program),
			Live: m.Live, State: state, Owners: ownersLine(doc.Owners), Version: m.Version,
			Ready: payout.Ready(payout.Checklist(doc, ev))}
		if m.Program == payout.DefaultProgram && held[m.Market] > 0 {
			row.Held = held[m.Market]
			row.HeldHref = marketHeldHref(m.Market)
		}
		vm.Rows = append(vm.Rows, row)
	}
	Render(w, r, http.StatusOK, views.MarketsPage(vm), nil)
}

// marketLabel names a payout's market and, when not the default, its
// program: "IN", "IN · sellers".
func marketLabel(market, program string) string {
	if program == "" || program == payout.DefaultProgram {
		return market
	}
	return market + " · " + program
}

func marketHref(market, program string) string {
	if program == payout.DefaultProgram {
		return "/markets/" + market
	}
	return "/markets/" + market + "?program=" + program
}

func stateLabel(live bool) string {
	if live {
		return "Live"
	}
	return "Read-only"
}

func ownersLine(o payout.Owners) string {
	var parts []string
	for _, ow := range o.List() {
		if ow.Email != "" {
			parts = append(parts, strings.ReplaceAll(ow.Field, "_", " ")+": "+ow.Email)
		}
	}
	if len(parts) == 0 {
		return "none named"
	}
	return strings.Join(parts, "; ")
}

// marketOf reads the market and program a request is about.
func marketOf(r *http.Request) (string, string, error) {
	code := r.PathValue("code")
	if !marketCode.MatchString(code) {
		return "", "", store.ErrNotFound
	}
	program := r.FormValue("program")
	if program == "" {
		program = payout.DefaultProgram
	}
	d := payout.LaunchDoc{Market: code, Program: program}
	if err := d.Validate(); err != nil {
		return "", "", store.ErrNotFound
	}
	return code, program, nil
}

// MarketPage shows a market's document, its launch checklist, the open
// proposal and the version history with what each version changed.
func (h *Handlers) MarketPage(w http.ResponseWriter, r *http.Request) {
	code, program, err := marketOf(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm, err := h.marketView(r, code, program)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm.Notice = marketNotices[r.URL.Query().Get("done")]
	if r.URL.Query().Get("done") == "read-only" {
		if vm.Notice, err = h.readOnlyNotice(r, code, program); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	}
	Render(w, r, http.StatusOK, views.MarketPage(vm), nil)
}

var marketNotices = map[string]string{
	"proposed":  "Proposed. Another admin approves it (or not) with a reason; until then nothing changes.",
	"approved":  "Approved: the new version is in force.",
	"withdrawn": "Proposal withdrawn: nothing changed, and a new change may be proposed.",
}

// readOnlyNotice says what a stop covered: this program's payouts, and which
// other programs of the market are still live (each has its own document,
// put back to read-only on its own page).
func (h *Handlers) readOnlyNotice(r *http.Request, code, program string) (string, error) {
	docs, err := h.Store.Markets(r.Context())
	if err != nil {
		return "", err
	}
	var live []string
	for _, d := range docs {
		if d.Market == code && d.Program != program && d.Live {
			live = append(live, code+"/"+d.Program)
		}
	}
	msg := fmt.Sprintf("%s/%s is read-only now: its new payouts are held, and queued ones are held before they are sent.",
		code, program)
	if program == payout.DefaultProgram {
		msg = fmt.Sprintf("%s/%s is read-only now: its new payouts, and those of programs without a document of "+
			"their own, are held, and queued ones are held before they are sent.", code, program)
	}
	if len(live) > 0 {
		msg += fmt.Sprintf(" Still live, each by its own document: %s.", strings.Join(live, ", "))
	}
	return msg, nil
}

// marketHeldHref lists a market's held payouts.
func marketHeldHref(code string) string {
	return "/payouts?" + url.Values{"market": {code}, "hold": {"open"}, "status": {"HELD"}}.Encode()
}

// heldNotice says what the market's n payouts held for "market is
// read-only" wait for: the market to go live, or, live now, a release.
func heldNotice(code string, n int, live bool) string {
	what := fmt.Sprintf("%d payouts are", n)
	if n == 1 {
		what = "1 payout is"
	}
	switch {
	case n == 0:
		return ""
	case live:
		return fmt.Sprintf("%s held from when %s was read-only: it is live now, and compliance releases them "+
			"(four-eyes) or rejects them, each on its page.", what, code)
	}
	return fmt.Sprintf("%s held until %s goes live.", what, code)
}

func (h *Handlers) marketView(r *http.Request, code, program string) (views.Market, error) {
	ctx, u := r.Context(), userOf(r)
	vm := views.Market{Meta: MetaFor(r, "Market "+code, "markets"), Code: code, Program: program,
		State: "Read-only: no launch document", CanLaunch: u.Role.Can(payout.ActLaunchMarkets), Waiting: u.waiting(h.Now())}
	hist, err := h.Store.MarketHistory(ctx, code, program)
	if err != nil {
		return vm, err
	}
	doc := payout.LaunchDoc{Market: code, Program: program}
	if len(hist) > 0 {
		if doc, err = hist[0].Doc(); err != nil {
			return vm, err
		}
		vm.Live, vm.Version, vm.HasDoc = hist[0].Live, hist[0].Version, true
		vm.State = fmt.Sprintf("%s by version %d", stateLabel(hist[0].Live), hist[0].Version)
	} else if program != payout.DefaultProgram {
		// Its payouts follow the default program's document (launchDocOf).
		under, err := h.Store.MarketHistory(ctx, code, payout.DefaultProgram)
		if err != nil {
			return vm, err
		}
		if len(under) > 0 {
			vm.State = fmt.Sprintf("No document of its own: its payouts follow %s/%s, %s by version %d", code,
				payout.DefaultProgram, strings.ToLower(stateLabel(under[0].Live)), under[0].Version)
		}
	}
	if program == payout.DefaultProgram {
		held, err := h.Store.MarketHeld(ctx)
		if err != nil {
			return vm, err
		}
		vm.Held = heldNotice(code, held[code], vm.Live)
		vm.HeldHref = marketHeldHref(code)
	}
	vm.Missing = doc.Missing()
	vm.Document = prettyDoc(doc)
	if vm.HasDoc {
		vm.Rules = docRules(doc)
	}
	vm.Draft = vm.Document
	ev, err := h.Store.MarketEvidence(ctx, code)
	if err != nil {
		return vm, err
	}
	for _, c := range payout.Checklist(doc, ev) {
		cp := views.Checkpoint{Step: c.Step, Name: c.Name, Passed: c.Passed, Evidence: c.Evidence}
		switch {
		case c.DrillID != 0 && u.Role.Can(payout.ActRunDrills): // a drill's page is its runners'
			cp.Href = fmt.Sprintf("/drills/%d", c.DrillID)
		case c.ReconID != 0:
			cp.Href = "/reconciliation/" + url.PathEscape(c.ReconProvider) + "/" + c.ReconDay.Format(time.DateOnly)
		}
		vm.Checklist = append(vm.Checklist, cp)
		if c.Passed {
			vm.Ready++
		}
	}
	for i, v := range hist {
		mv := views.MarketVersion{Version: v.Version, State: stateLabel(v.Live), By: v.ChangedBy, At: u.stamp(v.CreatedAt),
			Reason: v.Reason}
		prev := payout.LaunchDoc{}
		if i+1 < len(hist) {
			if prev, err = hist[i+1].Doc(); err != nil {
				return vm, err
			}
		}
		cur, err := v.Doc()
		if err != nil {
			return vm, err
		}
		for _, c := range payout.DiffDocs(prev, cur) {
			mv.Changes = append(mv.Changes, views.FieldChange{Field: c.Field, From: c.From, To: c.To})
		}
		vm.History = append(vm.History, mv)
	}
	p, err := h.Store.OpenMarketProposal(ctx, code, program)
	switch {
	case err == nil:
		var proposed payout.LaunchDoc
		if err := json.Unmarshal(p.Document, &proposed); err != nil {
			return vm, fmt.Errorf("handlers: proposal %d: %w", p.ID, err)
		}
		vp := &views.MarketProposal{ID: strconv.FormatInt(p.ID, 10), By: p.ProposedBy, At: u.stamp(p.ProposedAt),
			Reason: p.Reason, Live: proposed.Live}
		for _, c := range payout.DiffDocs(doc, proposed) {
			vp.Changes = append(vp.Changes, views.FieldChange{Field: c.Field, From: c.From, To: c.To})
		}
		proposer := int64(0)
		if p.ProposedByUserID != nil {
			proposer = *p.ProposedByUserID
		}
		vp.WhyNot = payout.ProposalFourEyes(u.ID, proposer)
		if wait := u.waiting(h.Now()); vp.WhyNot == "" && wait != "" {
			vp.WhyNot = wait
		}
		vm.Proposal = vp
	case !errors.Is(err, store.ErrNotFound):
		return vm, err
	}
	return vm, nil
}

func prettyDoc(d payout.LaunchDoc) string {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}
