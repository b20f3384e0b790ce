package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// UsersPage lists every user with what an admin may do to them, and the
// form that adds one.
func (h *Handlers) UsersPage(w http.ResponseWriter, r *http.Request) {
	h.usersPage(w, r, http.StatusOK, func(vm *views.Users) { vm.Notice = h.userNotice(r) })
}

// usersPage renders the users page with status, after adjust has added what
// the request did.
func (h *Handlers) usersPage(w http.ResponseWriter, r *http.Request, status int, adjust func(*views.Users)) {
	users, err := h.Store.Users(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	me, _ := UserFrom(r.Context())
	vm := views.Users{Meta: MetaFor(r, "Users", "settings"), Errors: map[string]string{},
		LinkTTL: span(payout.PasswordLinkTTL), MinPass: payout.MinPasswordLength}
	for _, role := range payout.Roles {
		vm.Roles = append(vm.Roles, views.Option{Value: string(role), Label: string(role)})
	}
	now := h.Now()
	for _, u := range users {
		vm.Rows = append(vm.Rows, userRow(u, me, now))
	}
	if adjust != nil {
		adjust(&vm)
	}
	Render(w, r, status, views.UsersPage(vm), nil)
}

// userState is what a user's row says of them: "active", "invited" (a link
// works), "no-password" (no link works) or "disabled".
func userState(u store.UserListing, now time.Time) string {
	switch {
	case u.DisabledAt != nil:
		return "disabled"
	case u.HasPassword:
		return "active"
	case u.LinkExpiresAt != nil && now.Before(*u.LinkExpiresAt):
		return "invited"
	}
	return "no-password"
}

var userStateLabels = map[string]string{"active": "Active", "invited": "Awaiting password",
	"no-password": "No password", "disabled": "Disabled"}

func userRow(u store.UserListing, me User, now time.Time) views.UserRow {
	id := strconv.FormatInt(u.ID, 10)
	row := views.UserRow{ID: id, Name: u.Name, Email: u.Email, Role: string(u.Role), State: userState(u, now),
		LastSignIn: agoPtr(now, u.LastSignIn), Self: u.ID == me.ID, ActionURL: "/settings/users/" + id}
	row.StateLabel = userStateLabels[row.State]
	linkWorks := u.LinkExpiresAt != nil && now.Before(*u.LinkExpiresAt)
	switch {
	case row.State == "disabled":
		row.StateNote = "since " + me.stampPtr(u.DisabledAt)
	case linkWorks:
		row.StateNote = "link works until " + me.stamp(*u.LinkExpiresAt)
	case row.State == "no-password" && u.LinkExpiresAt != nil:
		row.StateNote = "the link expired: make a new one"
	case row.State == "no-password":
		row.StateNote = "make a set-password link"
	}
	if row.State != "disabled" && payout.Waiting(u.DecidesFrom, now) {
		row.StateNote = strings.TrimPrefix(row.StateNote+"; ", "; ") + "decides from " + me.stamp(*u.DecidesFrom) +
			" (a deciding role given here waits " + payout.GrantWaitWords + ")"
	}
	return row
}

// newUser is the add-user form, read and checked.
type newUser struct {
	views.NewUserForm
	user     store.User
	password string
}

// parseNewUser reads the add-user form; the errors are one message a field.
func parseNewUser(r *http.Request) (newUser, map[string]string) {
	f := newUser{NewUserForm: views.NewUserForm{Email: strings.TrimSpace(r.PostFormValue("email")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"),
		How: r.PostFormValue("how")}, password: r.PostFormValue("password")}
	errs := map[string]string{}
	var err error
	if f.user.Email, err = payout.ParseEmail(f.Email); err != nil {
		errs["email"] = upperFirst(err.Error()) + "."
	}
	if f.user.Name, err = payout.ParseUserName(f.Name); err != nil {
		errs["name"] = upperFirst(err.Error()) + "."
	}
	if f.user.Role, err = payout.ParseRole(f.Role); err != nil {
		errs["role"] = "Choose ops, finance, compliance or admin."
	}
	switch f.How {
	case "link":
	case "password":
		if err := payout.CheckPassword(f.password); err != nil {
			errs["password"] = upperFirst(err.Error()) + "."
		}
	default:
		errs["how"] = "Choose a set-password link or an initial password."
	}
	return f, errs
}

// AddUser adds a user with a set-password link, shown on the page once, or
// with the initial password the admin typed; bad input is 422 with the form
// and a message a field.
func (h *Handlers) AddUser(w http.ResponseWriter, r *http.Request) {
	me, _ := UserFrom(r.Context())
	if !me.Role.Can(payout.ActManageUsers) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageUsers))
		return
	}
	f, errs := parseNewUser(r)
	refuse := func(errs map[string]string) {
		h.usersPage(w, r, http.StatusUnprocessableEntity, func(vm *views.Users) {
			vm.Form, vm.Errors, vm.Problem = f.NewUserForm, errs, "The user was not added: correct the form below."
		})
	}
	if len(errs) > 0 {
		refuse(errs)
		return
	}
	var link *store.PasswordLinkSpec
	if f.How == "link" {
		token, err := store.NewLinkToken()
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		link = &store.PasswordLinkSpec{Token: token, At: h.Now()}
	} else {
		hash, err := bcrypt.GenerateFromPassword([]byte(f.password), bcrypt.DefaultCost)
		if err != nil {
			Fail(w, r, h.Log, err)
			return
		}
		f.user.PasswordHash = string(hash)
	}
	_, err := h.Store.AddUser(r.Context(), f.user, actorOf(me), link)
	if errors.Is(err, store.ErrConflict) {
		refuse(map[string]string{
			"email": "A user with this email exists already: change their role or enable them in the list."})
		return
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	added := &views.NewLink{Name: f.user.Name, Email: f.user.Email, Role: string(f.user.Role)}
	if payout.Decides(f.user.Role) {
		added.Wait = fmt.Sprintf("As %s, a four-eyes role, they decide only %s from now (a role given here "+
			"waits, and compliance and the admins are told meanwhile); a set-password link starts the wait again when used.",
			f.user.Role, payout.GrantWaitWords)
	}
	if link != nil {
		added.Link, added.Expires = h.baseURL(r)+"/set-password/"+link.Token, userOf(r).stamp(link.At.Add(payout.PasswordLinkTTL))
	}
	h.usersPage(w, r, http.StatusCreated, func(vm *views.Users) {
		vm.Added = added
		shownOnceAt(&vm.Meta, "/settings/users")
	})
}
