package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// RunDay reconciles a provider's day now, for finance or an admin, and
// shows the new version.
func (h *Handlers) RunDay(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActRunRecon) {
		Fail(w, r, h.Log, Forbidden(payout.ActRunRecon))
		return
	}
	route, err := h.dayRoute(r)
	if err == nil {
		// A signed-off day is refused (store.ErrSignedOff, under the day's
		// lock) unless the day's page confirmed a new version.
		longRequest(w)
		_, err = h.Days.RunDay(r.Context(), route.provider, route.date, u.Email, r.PostFormValue("confirm") == "signed-off")
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, dayPath(route.provider, route.date)+"?done=ran")
}

// UploadReport reconciles a provider's day from the settlement report CSV
// finance uploads. A bad file is refused whole, naming the line, and the
// day stays as it was: the refusal goes to the audit log and the browser is
// sent back to the day's page, which shows it (Post/Redirect/Get: reloading
// that page posts nothing). A signed-off day takes no report until it is
// run again (409).
func (h *Handlers) UploadReport(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, Forbidden(payout.ActCloseDays))
		return
	}
	route, err := h.dayRoute(r)
	if err == nil {
		if why := route.readOnly(); why != "" {
			err = store.Refused("%s; then upload the report on the new version", upperFirst(why))
		}
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	longRequest(w)
	records, file, perr := readReport(w, r)
	if perr == nil {
		start, end := jobs.DayBounds(route.date, h.Days.BusinessZone())
		perr = payout.SettledOutsideDay(records, start, end)
	}
	if perr != nil {
		id, err := h.Store.RecordRefusedUpload(r.Context(), route.provider, route.date, actorOf(u), file.Name, perr.Error())
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, fmt.Sprintf("%s?refused=%d#upload-error", dayPath(route.provider, route.date), id))
		return
	}
	if _, err := h.Days.UploadDay(r.Context(), route.provider, route.date, u.Email, records, &file); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, dayPath(route.provider, route.date)+"?done=uploaded")
}

// readReport reads the uploaded settlement report: its records, and the
// file: its name as the browser gave it (made printable), size and
// SHA-256, which the version and its audit entry keep.
func readReport(w http.ResponseWriter, r *http.Request) ([]payout.ProviderRecord, store.ReportFile, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReportSize)
	f, hdr, err := r.FormFile("report")
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, store.ReportFile{}, fmt.Errorf("the file is larger than %d MB", maxReportSize>>20)
		}
		return nil, store.ReportFile{}, fmt.Errorf("choose the settlement report's CSV file to upload")
	}
	defer f.Close()
	sum := sha256.New()
	records, err := payout.ParseSettlement(io.TeeReader(f, sum), maxReportRows)
	if err == nil {
		_, err = io.Copy(sum, f) // whatever the parser left unread: the file is hashed whole
	}
	return records, store.ReportFile{Name: fileName(hdr.Filename), SHA256: hex.EncodeToString(sum.Sum(nil)),
		Bytes: hdr.Size}, err
}

// fileName is a file's name as a person reads it: printable, at most 120
// characters.
func fileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	if rs := []rune(s); len(rs) > 120 {
		s = string(rs[:119]) + "…"
	}
	return s
}

// RecheckDiff asks the provider about the payout behind a difference,
// through the same adapter and apply function as every re-check, and shows
// the result in the difference's row.
func (h *Handlers) RecheckDiff(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActRecheckDiffs) {
		Fail(w, r, h.Log, Forbidden(payout.ActRecheckDiffs))
		return
	}
	id, err := pathID(r)
	var d store.ReconDiff
	if err == nil {
		d, err = h.Store.ReconDiffByID(r.Context(), id)
	}
	if err == nil && d.PayoutID == nil {
		err = BadRequest("payops has no payout for this provider record: there is nothing to re-check.")
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	// Reconciliation is of live payouts only.
	res, err := h.Rechecker.Recheck(r.Context(), d.ReferenceID, store.Exactly(true), payout.SourceManual, u.Email)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, views.PayoutPath(d.ReferenceID, true), http.StatusSeeOther)
		return
	}
	run, editable, err := h.editable(r.Context(), d.RunID)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	row := diffRow(d, u, editable)
	row.PickColumn = bulkOffered(u.Role, editable, run.OpenDiffs)
	row.Result = recheckResult(res)
	row.ResultClass = "outcome-" + outcomeKind(res)
	Render(w, r, http.StatusOK, views.ReconDiffRowView(row), nil)
}

// recheckResult says in a difference's row what its Re-check did: the
// payout's status after the provider's answer, or, when the provider was
// not asked, why, and that the status is still payops' own.
func recheckResult(res jobs.Result) string {
	if res.Decision == "" {
		return fmt.Sprintf("%s. Still %s in payops.", upperFirst(res.Message), res.Payout.Status)
	}
	return fmt.Sprintf("Now %s. %s", res.Payout.Status, upperFirst(res.Message))
}

// editable returns a version and whether it can be worked on: it is its
// day's latest and not signed off (payout.VersionReadOnly).
func (h *Handlers) editable(ctx context.Context, runID int64) (store.ReconRun, bool, error) {
	run, err := h.Store.ReconRunByID(ctx, runID)
	if err != nil {
		return store.ReconRun{}, false, err
	}
	versions, err := h.Store.ReconVersions(ctx, run.Provider, run.BusinessDate)
	if err != nil || len(versions) == 0 {
		return store.ReconRun{}, false, err
	}
	return run, payout.VersionReadOnly(run.Version, versions[0].Version, deref(run.SignedOffBy)) == "", nil
}

// ResolveDiff closes a difference with finance's note: resolved (explained
// and put right) or accepted (known and left as it is).
func (h *Handlers) ResolveDiff(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, Forbidden(payout.ActCloseDays))
		return
	}
	id, err := pathID(r)
	var note string
	if err == nil {
		note, err = writtenReason(r)
	}
	as := r.PostFormValue("as")
	if err == nil && as != "resolved" && as != "accepted" {
		err = BadRequest("Choose Resolve or Accept.")
	}
	var d store.ReconDiff
	if err == nil {
		d, err = h.Store.ResolveDiff(r.Context(), id, actorOf(u), note, as == "accepted")
	}
	var run store.ReconRun
	if err == nil {
		run, err = h.Store.ReconRunByID(r.Context(), d.RunID)
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	keep := backTo(r.PostFormValue("back"))
	keep.Set("v", strconv.Itoa(run.Version))
	keep.Set("done", "resolved")
	redirect(w, r, fmt.Sprintf("%s?%s#diff-%d", dayPath(run.Provider, run.BusinessDate), keep.Encode(), d.ID))
}

// backTo keeps of a form's "back" only the list's filter and page.
func backTo(back string) url.Values {
	parsed, _ := url.ParseQuery(back)
	keep := url.Values{}
	for _, k := range []string{"kind", "page"} {
		if v := parsed.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	return keep
}

// SignOffDay signs off the version of the day the form names, for finance.
func (h *Handlers) SignOffDay(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, Forbidden(payout.ActCloseDays))
		return
	}
	route, err := h.dayRoute(r)
	v := r.PostFormValue("version")
	if err == nil && v == "" {
		err = BadRequest("Sign off names no version of the day.")
	}
	var run store.ReconRun
	if err == nil {
		run, err = pickVersion(route.versions, v)
	}
	if err == nil {
		_, err = h.Store.SignOff(r.Context(), run.ID, actorOf(u))
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, fmt.Sprintf("%s?v=%d&done=signed", dayPath(route.provider, route.date), run.Version))
}

// longRequest gives a request that moves a whole day (an upload, a run, an
// export) minutes rather than the server's default seconds.
func longRequest(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(10 * time.Minute)
	_ = rc.SetReadDeadline(deadline) // not every ResponseWriter supports deadlines; the defaults then apply
	_ = rc.SetWriteDeadline(deadline)
}
