package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// HoldOwners shows each hold reason's and exception kind's owners and SLA;
// admins edit them.
func (h *Handlers) HoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	reasons, err := h.Store.HoldReasons(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	kinds, err := h.Store.CaseKinds(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	users, err := h.Store.ActiveUsers(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.HoldOwners{Meta: MetaFor(r, "Owners and SLAs", "holds"), Users: userOptions(users, payout.ActWorkExceptions),
		HoldUsers: userOptions(users, payout.ActWorkHolds), HoldRoles: payout.RolesWhoMay(payout.ActWorkHolds),
		CanEdit: u.Role.Can(payout.ActConfigureHolds)}
	switch r.URL.Query().Get("saved") {
	case "1", "holds":
		vm.Saved = "holds"
	case "cases":
		vm.Saved = "cases"
	}
	for _, re := range reasons {
		vm.Reasons = append(vm.Reasons, ownerRow(u, string(re.Reason), re.Label, re.OwnerID, re.OwnerName, re.NextOwnerID,
			re.NextOwnerName, re.SLAMinutes, re.UpdatedBy, re.UpdatedAt))
	}
	for _, k := range kinds {
		vm.Kinds = append(vm.Kinds, ownerRow(u, string(k.Kind), k.Label, k.OwnerID, k.OwnerName, k.NextOwnerID,
			k.NextOwnerName, k.SLAMinutes, k.UpdatedBy, k.UpdatedAt))
	}
	classes, err := h.Store.ClassOwners(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	for _, c := range payout.FailureClasses {
		row := views.ClassOwnerRow{Class: string(c), Label: c.Label(), Step: c.NextStep()}
		if o, ok := classes[c]; ok {
			row.Owner, row.OwnerName = strconv.FormatInt(o.OwnerID, 10), o.OwnerName
		}
		vm.Classes = append(vm.Classes, row)
	}
	Render(w, r, http.StatusOK, views.HoldOwnersPage(vm), nil)
}

func ownerRow(u User, key, label string, owner *int64, ownerName string, next *int64, nextName string, sla int,
	updatedBy string, updatedAt time.Time) views.HoldReasonRow {
	row := views.HoldReasonRow{Reason: key, Label: label, OwnerName: ownerName, NextName: nextName,
		SLAHours: strconv.FormatFloat(float64(sla)/60, 'f', -1, 64)}
	if owner != nil {
		row.Owner = strconv.FormatInt(*owner, 10)
	}
	if next != nil {
		row.Next = strconv.FormatInt(*next, 10)
	}
	if updatedBy != "" {
		row.Updated = updatedBy + ", " + u.stamp(updatedAt)
	}
	return row
}

// optionalID reads a user picked from an owners list: nil for none.
func optionalID(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, BadRequest("Pick owners from the lists.")
	}
	return &id, nil
}

// ownerChange is one row of an owners form, checked.
type ownerChange struct {
	owner, next *int64
	minutes     int
}

// ownerChanges reads an owners form's rows for keys, all or nothing.
func ownerChanges(r *http.Request, keys []string) ([]ownerChange, error) {
	var out []ownerChange
	for _, key := range keys {
		var c ownerChange
		for _, f := range []struct {
			field string
			dst   **int64
		}{{"owner_", &c.owner}, {"next_", &c.next}} {
			id, err := optionalID(r.PostFormValue(f.field + key))
			if err != nil {
				return nil, err
			}
			*f.dst = id
		}
		hours, err := strconv.ParseFloat(r.PostFormValue("sla_"+key), 64)
		if err != nil || hours < 0.25 || hours > 24*90 || math.IsNaN(hours) {
			return nil, BadRequest(fmt.Sprintf("The SLA of %q must be a number of hours from 0.25 to 2160.", key))
		}
		c.minutes = int(math.Round(hours * 60))
		out = append(out, c)
	}
	return out, nil
}

// SaveHoldOwners stores the owners and SLAs an admin set for the hold
// reasons, all or nothing.
func (h *Handlers) SaveHoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActConfigureHolds) {
		Fail(w, r, h.Log, Forbidden(payout.ActConfigureHolds))
		return
	}
	keys := make([]string, len(payout.Reasons))
	for i, re := range payout.Reasons {
		keys[i] = string(re)
	}
	rows, err := ownerChanges(r, keys)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	changes := make([]store.HoldReasonChange, len(rows))
	for i, c := range rows {
		changes[i] = store.HoldReasonChange{Reason: payout.Reasons[i], OwnerID: c.owner, NextOwnerID: c.next, SLAMinutes: c.minutes}
	}
	if err := h.Store.UpdateHoldReasons(r.Context(), actorOf(u), changes); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, "/holds/owners?saved=holds")
}

// SaveCaseOwners stores the owners and SLAs an admin set for the exception
// kinds, all or nothing.
func (h *Handlers) SaveCaseOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActConfigureHolds) {
		Fail(w, r, h.Log, Forbidden(payout.ActConfigureHolds))
		return
	}
	keys := make([]string, len(payout.CaseKinds))
	for i, k := range payout.CaseKinds {
		keys[i] = string(k)
	}
	rows, err := ownerChanges(r, keys)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	changes := make([]store.CaseKindChange, len(rows))
	for i, c := range rows {
		changes[i] = store.CaseKindChange{Kind: payout.CaseKinds[i], OwnerID: c.owner, NextOwnerID: c.next, SLAMinutes: c.minutes}
	}
	// A class the form does not carry keeps its owner.
	classes := map[payout.FailureClass]*int64{}
	for _, c := range payout.FailureClasses {
		field := "class_owner_" + string(c)
		if _, ok := r.PostForm[field]; !ok {
			continue
		}
		owner, err := optionalID(r.PostFormValue(field))
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		classes[c] = owner
	}
	if err := h.Store.UpdateCaseKinds(r.Context(), actorOf(u), changes, classes); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, "/holds/owners?saved=cases#exception-owners")
}
