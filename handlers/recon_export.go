package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
)

// ExportTotals writes a version's totals per currency as CSV.
func (h *Handlers) ExportTotals(w http.ResponseWriter, r *http.Request) {
	run, ok := h.exportRun(w, r)
	if !ok {
		return
	}
	totals, err := h.Store.ReconTotals(r.Context(), run.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	cw := startCSV(w, run, "totals")
	cw.Write(append([]string{"currency", "payops_count", "payops_amount", "provider_count", "provider_amount", "difference",
		"payops_fees", "provider_fees", "ties"}, signOffColumns...))
	signed := signOffCells(run)
	for _, t := range totals {
		m := func(minor int64) string { return payout.Money{Minor: minor, Currency: t.Currency}.Decimal() }
		cw.Write(append([]string{t.Currency, strconv.FormatInt(t.OursCount, 10), m(t.OursSum), strconv.FormatInt(t.TheirsCount, 10),
			m(t.TheirsSum), m(t.OursSum - t.TheirsSum), m(t.OursFees), m(t.TheirsFees), strconv.FormatBool(t.Ties())}, signed...))
	}
	cw.Flush()
}

// ExportDiffs writes a version's differences as CSV, every one of them,
// streamed from the database: a whole-list export, in one of the export
// slots (a day of many differences read slowly holds its connection as
// long as /payouts.csv's would).
func (h *Handlers) ExportDiffs(w http.ResponseWriter, r *http.Request) {
	// A kind that does not exist is refused before anything says the answer
	// is a file to save.
	filter := store.ReconDiffFilter{Kind: r.URL.Query().Get("kind")}
	if filter.Kind != "" && !slices.ContainsFunc(diffKinds, func(k struct{ kind, label string }) bool { return k.kind == filter.Kind }) {
		Fail(w, r, h.Log, BadRequest("There is no kind of difference "+strconv.Quote(filter.Kind)+"."))
		return
	}
	run, done, ok := h.wholeListRun(w, r)
	if !ok {
		return
	}
	defer done()
	cw := startCSV(w, run, "differences")
	cw.Write(append([]string{"id", "kind", "reference_id", "provider_payout_id", "payops_amount", "payops_currency",
		"provider_amount", "provider_currency", "payops_status", "provider_status", "payops_fee", "provider_fee",
		"resolution", "note", "resolved_by", "resolved_at"}, signOffColumns...))
	signed := signOffCells(run)
	amount := func(minor *int64, cur *string) string {
		if minor == nil || cur == nil {
			return ""
		}
		return payout.Money{Minor: *minor, Currency: *cur}.Decimal()
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	err := h.Store.EachReconDiff(r.Context(), run.ID, filter, func(d store.ReconDiff) error {
		at := ""
		if d.ResolvedAt != nil {
			at = d.ResolvedAt.UTC().Format(time.RFC3339)
		}
		cw.Write(append([]string{strconv.FormatInt(d.ID, 10), d.Kind, cell(d.ReferenceID), cell(d.ProviderPayoutID),
			amount(d.OursAmountMinor, d.OursCurrency), str(d.OursCurrency), amount(d.TheirsAmountMinor, d.TheirsCurrency),
			str(d.TheirsCurrency), str(d.OursStatus), str(d.TheirsStatus), amount(d.OursFeeMinor, d.OursCurrency),
			amount(d.TheirsFeeMinor, d.TheirsCurrency), d.Resolution, cell(d.Note), cell(str(d.ResolvedBy)), at}, signed...))
		return cw.Error()
	})
	if err != nil {
		// The header is sent: the file ends with a row saying it is short,
		// so nobody takes it for the whole day.
		h.Log.Error("export differences", "run", run.ID, "err", err)
		cw.Write([]string{"ERROR", "the export stopped early: this file is incomplete; download it again"})
	}
	cw.Flush()
}

// ExportRecords writes the provider's records a version compared (its
// list's, or the uploaded report's rows), in a settlement report's columns
// and order: the provider's side behind the totals, by reference, and a
// file that can be uploaded again.
func (h *Handlers) ExportRecords(w http.ResponseWriter, r *http.Request) {
	run, done, ok := h.wholeListRun(w, r)
	if !ok {
		return
	}
	defer done()
	records, err := h.Store.ReconRecords(r.Context(), run.ID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	cw := startCSV(w, run, "provider-records")
	cw.Write(payout.SettlementColumns)
	for _, rec := range records {
		fee, at := "", ""
		if rec.Fee != nil {
			fee = payout.Money{Minor: *rec.Fee, Currency: rec.Amount.Currency}.Decimal()
		}
		if rec.SettledAt != nil {
			at = rec.SettledAt.UTC().Format(time.RFC3339)
		}
		cw.Write([]string{cell(rec.ProviderPayoutID), cell(rec.ReferenceID), rec.Amount.Decimal(), rec.Amount.Currency,
			string(rec.Status), fee, at})
	}
	cw.Flush()
}

// signOffColumns end every row of the totals and differences files: which
// version of the day the file is, and who signed it off and when (empty
// while nobody has), so a file kept as the day's proof says whether it was
// the signed-off one. The provider's records keep a settlement report's
// columns, to be uploaded again.
var signOffColumns = []string{"version", "signed_off_by", "signed_off_at"}

// signOffCells are run's values of signOffColumns.
func signOffCells(run store.ReconRun) []string {
	by, at := "", ""
	if run.SignedOffBy != nil {
		by = cell(*run.SignedOffBy)
	}
	if run.SignedOffAt != nil {
		at = run.SignedOffAt.UTC().Format(time.RFC3339)
	}
	return []string{strconv.Itoa(run.Version), by, at}
}

// cell keeps a spreadsheet from reading text someone typed as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportRun finds the version of a day an export names (?v=, else the
// latest), or answers with the error.
func (h *Handlers) exportRun(w http.ResponseWriter, r *http.Request) (store.ReconRun, bool) {
	route, err := h.dayRoute(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return store.ReconRun{}, false
	}
	run, err := pickVersion(route.versions, r.URL.Query().Get("v"))
	if err != nil {
		Fail(w, r, h.Log, err)
		return store.ReconRun{}, false
	}
	return run, true
}

// wholeListRun is exportRun for a whole-list export: in one of the export
// slots, which done gives back.
func (h *Handlers) wholeListRun(w http.ResponseWriter, r *http.Request) (store.ReconRun, func(), bool) {
	done, ok := h.exportSlot(w, r)
	if !ok {
		return store.ReconRun{}, nil, false
	}
	run, ok := h.exportRun(w, r)
	if !ok {
		done()
		return store.ReconRun{}, nil, false
	}
	return run, done, true
}

func startCSV(w http.ResponseWriter, run store.ReconRun, what string) *csv.Writer {
	longRequest(w)
	name := fmt.Sprintf("payops-%s-%s-v%d-%s.csv", run.Provider, run.BusinessDate.Format(time.DateOnly), run.Version, what)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return csv.NewWriter(w)
}
