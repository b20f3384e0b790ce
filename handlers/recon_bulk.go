package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// bulkForm is the bulk bar's form: differences of one version, one note,
// and whether they are resolved or accepted.
type bulkForm struct {
	version string
	ids     []int64
	note    string
	accept  bool
	back    string // the list the bar was on: kind and page
}

// parseBulk reads the bulk bar's form. A form no page of payops sends (no
// version, an id that is not one, neither Resolve nor Accept) is a bad
// request; what a person fixes is Validate's.
func parseBulk(r *http.Request) (bulkForm, error) {
	if err := r.ParseForm(); err != nil {
		return bulkForm{}, BadRequest("The form could not be read.")
	}
	f := bulkForm{version: r.PostFormValue("version"), note: strings.TrimSpace(r.PostFormValue("note")),
		back: r.PostFormValue("back")}
	if f.version == "" {
		return bulkForm{}, BadRequest("The form names no version of the day.")
	}
	switch r.PostFormValue("as") {
	case "resolved":
	case "accepted":
		f.accept = true
	default:
		return bulkForm{}, BadRequest("Choose Resolve selected or Accept selected.")
	}
	for _, s := range r.PostForm["diff"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return bulkForm{}, BadRequest("The selection could not be read.")
		}
		f.ids = append(f.ids, id)
	}
	return f, nil
}

// Validate says what to fix before anything is closed: a selection of at
// most a page of differences, and one note of 5 to 1000 characters of plain
// text for all of them. "" when there is nothing.
func (f bulkForm) Validate() string {
	switch n := len([]rune(f.note)); {
	case len(f.ids) == 0:
		return "Select at least one difference."
	case len(f.ids) > payout.MaxBulkDiffs:
		return fmt.Sprintf("Select at most %d differences at once.", payout.MaxBulkDiffs)
	case n < minNote:
		return "Write a note of at least 5 characters: it goes to the audit log with your name, on each difference."
	case n > 1000:
		return "The note is longer than 1000 characters."
	case payout.HasControl(f.note):
		return "The note contains control characters; write plain text."
	}
	return ""
}

// ResolveSelected closes the differences selected on a day's page with one
// note, resolved or accepted, for finance: each is closed and audited on its
// own, and the page says what happened to each (closed, or closed already by
// someone). A selection without a note, or of none, is 422 with the page and
// the selection kept; a version that is not the latest, or is signed off,
// refuses it all (409). HTMX gets the page's main part.
func (h *Handlers) ResolveSelected(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if !u.Role.Can(payout.ActCloseDays) {
		Fail(w, r, h.Log, Forbidden(payout.ActCloseDays))
		return
	}
	route, err := h.dayRoute(r)
	var f bulkForm
	if err == nil {
		f, err = parseBulk(r)
	}
	var run store.ReconRun
	if err == nil {
		run, err = pickVersion(route.versions, f.version)
	}
	if err == nil {
		if why := payout.VersionReadOnly(run.Version, route.versions[0].Version, deref(run.SignedOffBy)); why != "" {
			err = store.Refused("%s", upperFirst(why))
		}
	}
	problem := f.Validate()
	var outcomes []store.DiffOutcome
	if err == nil && problem == "" {
		outcomes, err = h.Store.ResolveDiffs(r.Context(), run.ID, f.ids, actorOf(u), f.note, f.accept)
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	d, err := h.afterBulk(r, run, f, problem, outcomes)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	Render(w, r, status, views.ReconDayPage(d), views.ReconDayMain(d))
}

// afterBulk is the day's page as it is after a bulk action, on the list the
// bar was on: with what happened to each difference, or with the problem,
// the note and the selection kept.
func (h *Handlers) afterBulk(r *http.Request, run store.ReconRun, f bulkForm, problem string,
	outcomes []store.DiffOutcome) (views.ReconDay, error) {
	q := backTo(f.back)
	q.Set("v", strconv.Itoa(run.Version))
	page := r.Clone(r.Context())
	page.URL = &url.URL{Path: dayPath(run.Provider, run.BusinessDate), RawQuery: q.Encode()}
	route, err := h.dayRoute(page) // the open counts as they are now
	if err != nil {
		return views.ReconDay{}, err
	}
	d, err := h.reconDay(page, route)
	if err != nil {
		return views.ReconDay{}, err
	}
	if problem != "" {
		d.Bulk.Error, d.Bulk.Note = problem, f.note
		for i := range d.Diffs {
			for _, id := range f.ids {
				d.Diffs[i].Selected = d.Diffs[i].Selected || d.Diffs[i].ID == id
			}
		}
		return d, nil
	}
	for _, o := range outcomes {
		item := views.ReconBulkItem{Label: "#" + strconv.FormatInt(o.ID, 10), OK: o.Changed,
			Href: "#diff-" + strconv.FormatInt(o.ID, 10)}
		if o.Diff.ID != 0 {
			item.Label = dash(o.Diff.ReferenceID) + " · " + kindLabel(o.Diff.Kind)
		}
		if o.Changed {
			item.Outcome = o.Diff.Resolution
			d.Bulk.Closed++
		} else {
			item.Outcome = "not changed: " + o.Reason
		}
		d.Bulk.Results = append(d.Bulk.Results, item)
	}
	return d, nil
}
