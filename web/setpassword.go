package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"payops/handlers"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// PasswordLinkStore is what set-password links need of the store.
type PasswordLinkStore interface {
	PasswordLinkByToken(ctx context.Context, token string) (store.PasswordLink, store.User, error)
	SetPasswordWithLink(ctx context.Context, token, hash string, at time.Time) (store.User, error)
}

const linkNotValid = "This is not a valid set-password link. " +
	"Check that it was copied whole, or ask an admin for a new one."

// setPasswordPage shows the form a set-password link opens, or why the link
// no longer works (410; 404 for a token that was never a link).
func (s *Server) setPasswordPage(w http.ResponseWriter, r *http.Request) {
	p, status, err := s.openLink(r)
	if err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	s.renderSetPassword(w, r, status, p)
}

// openLink reads the request's link: the page for its user (200), or saying
// why it cannot be used (404 for no such link, 410 for one used, replaced or
// expired, or of a disabled user).
func (s *Server) openLink(r *http.Request) (views.SetPassword, int, error) {
	l, u, err := s.users.PasswordLinkByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, store.ErrNotFound) {
		return views.SetPassword{Refusal: linkNotValid}, http.StatusNotFound, nil
	}
	if err != nil {
		return views.SetPassword{}, 0, err
	}
	state := payout.LinkState{Used: l.UsedAt != nil, Replaced: l.ReplacedAt != nil, UserDisabled: u.DisabledAt != nil}
	if why := payout.LinkRefusal(state, l.ExpiresAt, s.now()); why != "" {
		return views.SetPassword{Refusal: upper(why) + "."}, http.StatusGone, nil
	}
	return views.SetPassword{Name: u.Name, Email: u.Email}, http.StatusOK, nil
}

// setPassword sets the password a link's user chose and sends them to sign
// in with it. Passwords follow payout.CheckPassword and must be typed the
// same twice (422 with a message a field otherwise); the link works once.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) {
	p, status, err := s.openLink(r)
	if err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	if status != http.StatusOK {
		s.renderSetPassword(w, r, status, p)
		return
	}
	password, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	p.Errors = map[string]string{}
	if err := payout.CheckPassword(password); err != nil {
		p.Errors["password"] = upper(err.Error()) + "."
	} else if confirm != password {
		p.Errors["confirm"] = "The two passwords differ: type the same one twice."
	}
	if len(p.Errors) > 0 {
		s.renderSetPassword(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	_, err = s.users.SetPasswordWithLink(r.Context(), r.PathValue("token"), string(hash), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.renderSetPassword(w, r, http.StatusNotFound, views.SetPassword{Refusal: linkNotValid})
	case errors.Is(err, store.ErrRefused): // used up meanwhile, by another tab
		s.renderSetPassword(w, r, http.StatusGone, views.SetPassword{Refusal: upper(err.Error()) + "."})
	case err != nil:
		handlers.Fail(w, r, s.log, err)
	default:
		http.Redirect(w, r, "/login?password=set", http.StatusSeeOther)
	}
}

func (s *Server) renderSetPassword(w http.ResponseWriter, r *http.Request, status int, p views.SetPassword) {
	p.Meta = views.Meta{Title: "Set your password"}
	p.Action = r.URL.Path
	p.MinPass = payout.MinPasswordLength
	// The link is the page's address: no other site learns it as a referrer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	handlers.Render(w, r, status, views.SetPasswordPage(p), nil)
}

// upper starts a rule's sentence with a capital.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
