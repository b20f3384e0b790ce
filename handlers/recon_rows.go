package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// chartWidth is the longest bar of the totals chart, in pixels.
const chartWidth = 240

// totalRows makes the totals table and the chart: per currency, a bar for
// each side scaled to the larger of the two (currencies do not share a
// scale), and the chart's size, wide enough for the longest amount beside
// its bar. Every amount carries its currency, a difference of nothing too.
func totalRows(totals []store.ReconTotal) ([]views.ReconTotalRow, []views.ReconBar, views.ReconChartSize) {
	var rows []views.ReconTotalRow
	var bars []views.ReconBar
	longest := 0
	for i, t := range totals {
		m := func(minor int64) string { return payout.Money{Minor: minor, Currency: t.Currency}.String() }
		rows = append(rows, views.ReconTotalRow{Currency: t.Currency, OursCount: t.OursCount, TheirsCount: t.TheirsCount,
			OursSum: m(t.OursSum), TheirsSum: m(t.TheirsSum), Difference: m(t.OursSum - t.TheirsSum), OursFees: m(t.OursFees),
			TheirsFees: m(t.TheirsFees), Ties: t.Ties()})
		scale := max(t.OursSum, t.TheirsSum, 1)
		width := func(v int64) int {
			v, s := max(v, 0), scale
			for s > 1<<50 { // keep v*chartWidth within int64
				v, s = v>>10, s>>10
			}
			return max(1, int(v*chartWidth/s))
		}
		bars = append(bars, views.ReconBar{Currency: t.Currency, Y: i * 44, OursW: width(t.OursSum),
			TheirsW: width(t.TheirsSum), OursLabel: m(t.OursSum), TheirsLabel: m(t.TheirsSum),
			Differs: t.OursSum != t.TheirsSum})
		longest = max(longest, len(bars[i].OursLabel), len(bars[i].TheirsLabel))
	}
	// A label starts 6 px after its bar; 7 px a character at 12 px.
	return rows, bars, views.ReconChartSize{W: 44 + chartWidth + 6 + 7*longest + 8, H: len(totals)*44 + 4}
}

// diffRow shows one difference: the values of its kind on each side, and
// what the role may do with it on a version that is editable or not.
func diffRow(d store.ReconDiff, u User, editable bool) views.ReconDiffRow {
	role := u.Role
	row := views.ReconDiffRow{ID: d.ID, Kind: d.Kind, KindLabel: kindLabel(d.Kind), Ref: dash(d.ReferenceID),
		ProviderID: dash(d.ProviderPayoutID), Open: d.Resolution == "open", Resolution: d.Resolution, Note: d.Note,
		ResolvedBy: deref(d.ResolvedBy), ResolvedAt: u.stampPtr(d.ResolvedAt)}
	if d.PayoutID != nil {
		row.RefHref = views.PayoutPath(d.ReferenceID, true) // reconciliation: live payouts
	}
	id := "/reconciliation/diffs/" + strconv.FormatInt(d.ID, 10)
	row.RecheckURL, row.ResolveURL = id+"/recheck", id+"/resolve"
	row.CanRecheck = d.PayoutID != nil && role.Can(payout.ActRecheckDiffs) && editable
	row.CanResolve = row.Open && role.Can(payout.ActCloseDays) && editable
	row.Selectable, row.PickColumn = row.CanResolve, row.CanResolve
	row.Ours, row.OursNote, row.Theirs, row.TheirsNote = diffValues(d)
	return row
}

// diffValues are a difference's two sides as finance compares them: the
// value of its kind, each amount with its currency, and a note beside it.
func diffValues(d store.ReconDiff) (ours, oursNote, theirs, theirsNote string) {
	// Both sides of a difference carry a currency; should one not, the
	// other side's names the amount rather than none.
	oursCur, theirsCur := orElse(d.OursCurrency, d.TheirsCurrency), orElse(d.TheirsCurrency, d.OursCurrency)
	money := func(minor *int64, cur string) string {
		if minor == nil {
			return "—"
		}
		return payout.Money{Minor: *minor, Currency: cur}.String()
	}
	switch d.Kind {
	case "amount_mismatch", "currency_mismatch":
		return money(d.OursAmountMinor, oursCur), "", money(d.TheirsAmountMinor, theirsCur), ""
	case "status_mismatch":
		return deref(d.OursStatus), money(d.OursAmountMinor, oursCur), deref(d.TheirsStatus),
			money(d.TheirsAmountMinor, theirsCur)
	case "fee_mismatch":
		// The fee rule: no fee recorded in payops is a fee of 0.00.
		zero := int64(0)
		oursNote, theirsNote = "fee", "fee"
		if d.OursFeeMinor == nil {
			d.OursFeeMinor, oursNote = &zero, "fee: none recorded"
		}
		return money(d.OursFeeMinor, oursCur), oursNote, money(d.TheirsFeeMinor, theirsCur), theirsNote
	case "missing_at_provider":
		return money(d.OursAmountMinor, oursCur), deref(d.OursStatus), "no record", ""
	case "missing_in_payops":
		return "no payout", "", money(d.TheirsAmountMinor, theirsCur), deref(d.TheirsStatus)
	}
	return "—", "", "—", ""
}

func orElse(s, other *string) string {
	if s != nil && *s != "" {
		return *s
	}
	return deref(other)
}

// acrossLimit is the most payouts compared across midnight a day's page
// lists: a few a day, unless the provider's days are cut elsewhere.
const acrossLimit = 50

// acrossDays lists the payouts version run compared across the day's
// boundary (store.ReconCrossDay): where each was sent, and on which day it
// is counted.
func (h *Handlers) acrossDays(ctx context.Context, run store.ReconRun, u User) (views.ReconAcross, error) {
	rows, n, err := h.Store.ReconCrossDay(ctx, run.ID, acrossLimit)
	if err != nil {
		return views.ReconAcross{}, err
	}
	a := views.ReconAcross{SentOther: n["sent_other_day"]}
	sent, reported := n["sent_other_day"], n["reported_other_day"]
	var says []string
	if sent > 0 {
		verb := "are"
		if sent == 1 {
			verb = "is"
		}
		says = append(says, countOf(sent, "payout")+" sent on another day "+verb+" in this day's provider records: counted here.")
	}
	if reported > 0 {
		says = append(says, countOf(reported, "payout")+" sent this day the provider reported on another day: "+
			"counted there, no difference here.")
	}
	a.Summary = strings.Join(says, " ")
	for _, c := range rows {
		r := views.ReconAcrossRow{Ref: c.ReferenceID, RefHref: views.PayoutPath(c.ReferenceID, true), // reconciliation: live payouts
			Amount: payout.Money{Minor: c.AmountMinor, Currency: c.Currency}.String(), Status: c.Status,
			Sent: u.stampPtr(c.SubmittedAt), Counted: "here: in this day's records"}
		if c.OtherDate != nil {
			r.Counted, r.CountedHref = "on "+c.OtherDate.Format(time.DateOnly), dayPath(run.Provider, *c.OtherDate)
		}
		a.Rows = append(a.Rows, r)
	}
	if total := sent + reported; total > len(a.Rows) {
		a.More = fmt.Sprintf("The first %d of %d, in the order they were sent.", len(a.Rows), total)
	}
	return a, nil
}
