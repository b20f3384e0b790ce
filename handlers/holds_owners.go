package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// HoldOwners shows each hold reason's owners and SLA; admins edit them.
func (h *Handlers) HoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	reasons, err := h.Store.HoldReasons(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	users, err := h.Store.ActiveUsers(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.HoldOwners{Meta: MetaFor(r, "Hold owners", "holds"), Users: userOptions(users),
		CanEdit: u.Role.Can(payout.ActConfigureHolds), Saved: r.URL.Query().Get("saved") == "1"}
	for _, re := range reasons {
		row := views.HoldReasonRow{Reason: string(re.Reason), Label: re.Label, OwnerName: re.OwnerName, NextName: re.NextOwnerName,
			SLAHours: strconv.FormatFloat(float64(re.SLAMinutes)/60, 'f', -1, 64)}
		if re.OwnerID != nil {
			row.Owner = strconv.FormatInt(*re.OwnerID, 10)
		}
		if re.NextOwnerID != nil {
			row.Next = strconv.FormatInt(*re.NextOwnerID, 10)
		}
		if re.UpdatedBy != "" {
			row.Updated = re.UpdatedBy + ", " + userOf(r).stamp(re.UpdatedAt)
		}
		vm.Reasons = append(vm.Reasons, row)
	}
	Render(w, r, http.StatusOK, views.HoldOwnersPage(vm), nil)
}

// SaveHoldOwners stores the owners and SLAs an admin set, all or nothing.
func (h *Handlers) SaveHoldOwners(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	if !u.Role.Can(payout.ActConfigureHolds) {
		Fail(w, r, h.Log, ErrForbidden)
		return
	}
	var changes []store.HoldReasonChange
	for _, reason := range payout.Reasons {
		c := store.HoldReasonChange{Reason: reason}
		for _, f := range []struct {
			field string
			dst   **int64
		}{{"owner_", &c.OwnerID}, {"next_", &c.NextOwnerID}} {
			v := r.PostFormValue(f.field + string(reason))
			if v == "" {
				continue
			}
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				Fail(w, r, h.Log, BadRequest("Pick owners from the lists."))
				return
			}
			*f.dst = &id
		}
		hours, err := strconv.ParseFloat(r.PostFormValue("sla_"+string(reason)), 64)
		if err != nil || hours < 0.25 || hours > 24*90 || math.IsNaN(hours) {
			Fail(w, r, h.Log, BadRequest(fmt.Sprintf("The SLA of %q must be a number of hours from 0.25 to 2160.", reason)))
			return
		}
		c.SLAMinutes = int(math.Round(hours * 60))
		changes = append(changes, c)
	}
	if err := h.Store.UpdateHoldReasons(r.Context(), actorOf(u), changes); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, "/holds/owners?saved=1")
}
