package handlers

import (
	"context"
	"net/http"
	"slices"
	"time"

	"payops/payout"
	"payops/views"
)

// ProfileStore is what the profile page writes.
type ProfileStore interface {
	SetTimeZone(ctx context.Context, id int64, zone string) error
}

// profileZones are the time zones offered, besides the business time zone
// and UTC: those of the markets payops pays out in and of the teams that run
// it.
var profileZones = []string{"Asia/Kolkata", "Asia/Jakarta", "Asia/Manila", "Asia/Singapore", "Asia/Kuala_Lumpur",
	"Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Dubai", "Asia/Tokyo", "Australia/Sydney", "Europe/London",
	"Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"}

// Profile is GET /profile: who the user is, what their role may do, and
// the time zone they read times in.
func (h *Handlers) Profile(w http.ResponseWriter, r *http.Request) {
	h.profilePage(w, r, http.StatusOK, "")
}

func (h *Handlers) profilePage(w http.ResponseWriter, r *http.Request, status int, problem string) {
	u, _ := UserFrom(r.Context())
	business := h.Days.BusinessZone()
	vm := views.Profile{Meta: MetaFor(r, "Your profile", "profile"), Name: u.Name, Email: u.Email, Role: string(u.Role),
		Now: u.stamp(h.Now()), Problem: problem, Saved: r.URL.Query().Get("saved") == "1"}
	current := ""
	if u.Zone != nil && u.Zone != business {
		current = u.Zone.String()
	}
	vm.Zones = append(vm.Zones, views.Choice{Value: "", Label: "Business time zone (" + business.String() + ")",
		On: current == ""})
	for _, z := range profileZones {
		vm.Zones = append(vm.Zones, views.Choice{Value: z, Label: z, On: current == z})
	}
	for _, a := range payout.Actions {
		if u.Role.Can(a) {
			vm.Actions = append(vm.Actions, a.Label())
		}
	}
	Render(w, r, status, views.ProfilePage(vm), nil)
}

// SetTimeZone is POST /profile: the time zone the user reads times in, one
// of those offered ("" for the business time zone).
func (h *Handlers) SetTimeZone(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	zone := r.PostFormValue("time_zone")
	if zone != "" {
		if _, err := time.LoadLocation(zone); err != nil || !slices.Contains(profileZones, zone) {
			h.profilePage(w, r, http.StatusUnprocessableEntity, "Choose a time zone from the list.")
			return
		}
	}
	if err := h.Store.SetTimeZone(r.Context(), u.ID, zone); err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	http.Redirect(w, r, "/profile?saved=1", http.StatusSeeOther)
}
