package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// UserAction changes a user from their row on the users page: "role" gives
// the posted role, "disable" and "enable" what they say. A new role and
// disabling end the user's sessions at once (the store does, in the same
// transaction). Refused changes (yourself, the last admin) are 409 with the
// page saying why; a role that is none is 422.
func (h *Handlers) UserAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, _ := UserFrom(r.Context())
		if !me.Role.Can(payout.ActManageUsers) {
			Fail(w, r, h.Log, Forbidden(payout.ActManageUsers))
			return
		}
		target, err := h.userFromPath(r)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		switch action {
		case "role":
			role, perr := payout.ParseRole(r.PostFormValue("role"))
			if perr != nil {
				h.usersPage(w, r, http.StatusUnprocessableEntity, rowError(target.ID,
					"Choose ops, finance, compliance or admin."))
				return
			}
			_, err = h.Store.SetUserRole(r.Context(), target.Email, role, actorOf(me))
		case "disable":
			_, err = h.Store.DisableUser(r.Context(), target.Email, actorOf(me))
		case "enable":
			_, err = h.Store.EnableUser(r.Context(), target.Email, actorOf(me))
		}
		if errors.Is(err, store.ErrRefused) {
			h.usersPage(w, r, http.StatusConflict, func(vm *views.Users) {
				vm.Problem = fmt.Sprintf("%s was not changed: %s.", target.Name, err)
			})
			return
		}
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		redirect(w, r, fmt.Sprintf("/settings/users?done=%s&user=%d#user-%d", action, target.ID, target.ID))
	}
}

// NewUserLink makes a new set-password link for a user, replacing any that
// was not used, and shows it on the page once. Their password works until
// the link is used; a disabled user gets none (409).
func (h *Handlers) NewUserLink(w http.ResponseWriter, r *http.Request) {
	me, _ := UserFrom(r.Context())
	if !me.Role.Can(payout.ActManageUsers) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageUsers))
		return
	}
	target, err := h.userFromPath(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	token, err := store.NewLinkToken()
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	link := store.PasswordLinkSpec{Token: token, At: h.Now()}
	_, err = h.Store.NewPasswordLink(r.Context(), target.ID, link, actorOf(me))
	if errors.Is(err, store.ErrRefused) {
		h.usersPage(w, r, http.StatusConflict, func(vm *views.Users) { vm.Problem = upperFirst(err.Error()) + "." })
		return
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	h.usersPage(w, r, http.StatusCreated, func(vm *views.Users) {
		vm.Added = &views.NewLink{Name: target.Name, Email: target.Email, Role: string(target.Role), Again: true,
			Link: h.baseURL(r) + "/set-password/" + token, Expires: userOf(r).stamp(link.At.Add(payout.PasswordLinkTTL))}
		shownOnceAt(&vm.Meta, "/settings/users")
	})
}

func (h *Handlers) userFromPath(r *http.Request) (store.User, error) {
	id, err := pathID(r)
	if err != nil {
		return store.User{}, err
	}
	return h.Store.UserByID(r.Context(), id)
}

// rowError puts msg on user id's row of the page.
func rowError(id int64, msg string) func(*views.Users) {
	return func(vm *views.Users) {
		for i := range vm.Rows {
			if vm.Rows[i].ID == strconv.FormatInt(id, 10) {
				vm.Rows[i].Error = msg
			}
		}
		vm.Problem = "Nothing was changed: correct the row marked below."
	}
}

// userNotice says what the action named in the address did, from the
// user's state now: an address that claims what did not happen says
// nothing.
func (h *Handlers) userNotice(r *http.Request) string {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("user"), 10, 64)
	if err != nil {
		return ""
	}
	u, err := h.Store.UserByID(r.Context(), id)
	if err != nil {
		return ""
	}
	me := userOf(r)
	wait := ""
	if payout.Waiting(u.DecidesFrom, h.Now()) {
		wait = fmt.Sprintf(" A four-eyes role given here decides only from %s (%s), and compliance and the admins "+
			"are told meanwhile.", me.stamp(*u.DecidesFrom), payout.GrantWaitWords)
	}
	switch who := u.Name + " (" + u.Email + ")"; {
	case q.Get("done") == "role":
		return fmt.Sprintf("%s is now %s. Their sessions have ended; the new role starts at their next sign-in.%s", who, u.Role, wait)
	case q.Get("done") == "disable" && u.DisabledAt != nil:
		return who + " is disabled: they can no longer sign in, and their sessions have ended. Their open holds and " +
			"cases went to each reason's or kind's default owner (Unowned where there is none); where they were a " +
			"reason's or kind's owner or escalation owner, that place is empty now: fill it on Owners and SLAs (/holds/owners)."
	case q.Get("done") == "enable" && u.DisabledAt == nil:
		return who + " may sign in again." + wait
	}
	return ""
}
