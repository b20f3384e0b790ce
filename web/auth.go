package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"payops/handlers"
	"payops/store"
	"payops/views"
)

// UserStore is what sign-in and sessions need of the store.
type UserStore interface {
	UserByEmail(ctx context.Context, email string) (store.User, error)
	Audit(ctx context.Context, actor, action, entityType, entityID string, details any) error
	SessionStore
	AttemptStore
	PasswordLinkStore
}

// dummyHash is compared against when the email is unknown, so a wrong email
// takes as long as a wrong password and reveals nothing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("payops-no-such-user"), bcrypt.DefaultCost)

const loginFailed = "Email or password is incorrect."

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := handlers.UserFrom(r.Context()); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	l := views.Login{Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("password") == "set" {
		l.Notice = "Your password is set. Sign in with it."
	}
	handlers.Render(w, r, http.StatusOK, views.LoginPage(l), nil)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		handlers.Render(w, r, status, views.LoginPage(views.Login{Email: email, Next: next, Error: msg}), nil)
	}
	if email == "" || password == "" {
		fail(http.StatusUnprocessableEntity, "Enter your email and password.")
		return
	}
	attempt, err := s.beginAttempt(r.Context(), email, handlers.ClientIP(r))
	if err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	if attempt.wait > 0 {
		s.log.Warn("sign-in refused: too many failures", "ip", handlers.ClientIP(r))
		w.Header().Set("Retry-After", fmt.Sprint(math.Ceil(attempt.wait.Seconds())))
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Try again in %v minutes.",
			math.Ceil(attempt.wait.Minutes())))
		return
	}
	u, err := s.users.UserByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		handlers.Fail(w, r, s.log, err)
		return
	}
	// No password set yet (a link's user): the dummy hash, failing as a wrong password would, as slowly.
	hash, noPassword := dummyHash, err != nil || u.PasswordHash == ""
	if !noPassword {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || noPassword || u.DisabledAt != nil {
		s.log.Warn("sign-in failed", "ip", handlers.ClientIP(r))
		fail(http.StatusUnauthorized, loginFailed)
		return
	}
	if err := s.attemptSucceeded(r.Context(), attempt); err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	// A browser signing in anew leaves no older session of its behind.
	if id, ok := sessionFrom(r.Context()); ok {
		if _, err := s.users.EndSession(r.Context(), id, store.EndSignedInAgain, s.now()); err != nil {
			handlers.Fail(w, r, s.log, err)
			return
		}
	}
	sess, err := s.startSession(w, r, u)
	if err != nil {
		handlers.Fail(w, r, s.log, err)
		return
	}
	err = s.users.Audit(r.Context(), u.Email, "user.login", "user", fmt.Sprint(u.ID),
		map[string]any{"ip": handlers.ClientIP(r), "session": sess.ID})
	if err != nil {
		s.log.Warn("audit sign-in", "err", err)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// requireUser sends anyone not signed in to the sign-in page (HTMX requests
// get a redirect header, since a 303 would swap the login form into a row).
func requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := handlers.UserFrom(r.Context()); !ok {
			to := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
			if r.Header.Get("HX-Request") == "true" {
				w.Header().Set("HX-Redirect", to)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		next(w, r)
	}
}

// safeNext returns next when it is a path on this site, and "/" otherwise.
// Browsers forgive a lot in a Location header: they drop tabs and line
// breaks anywhere and spaces and control characters at the ends, and read a
// backslash as a slash, so "/\t/evil.com" and "/\\evil.com" lead off-site.
// So next passes only when it starts with one slash and neither it nor its
// percent-decoded form (decoded until it no longer changes, so that %252F
// is judged as "/" too) has a scheme, a host, a control character,
// whitespace, a backslash or a second leading slash. A query with an
// encoded space is refused with the rest: a lost next only costs a click.
func safeNext(next string) string {
	if len(next) > maxNext || !strings.HasPrefix(next, "/") {
		return "/"
	}
	decoded, ok := unescapeFully(next)
	if !ok {
		return "/"
	}
	if !utf8.ValidString(decoded) || strings.HasPrefix(decoded, "//") ||
		strings.ContainsFunc(decoded, unsafeInNext) {
		return "/"
	}
	if u, err := url.Parse(decoded); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}

// unsafeInNext reports whether r may not be in a post-login path: what
// browsers drop, trim or read as a slash.
func unsafeInNext(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }

// maxNext bounds a post-login path: longer ones are not ours.
const maxNext = 2048

// unescapeFully percent-decodes s until it no longer changes; false when it
// is not valid percent-encoding or still changes after a few rounds.
func unescapeFully(s string) (string, bool) {
	for range 5 {
		d, err := url.PathUnescape(s)
		if err != nil {
			return "", false
		}
		if d == s {
			return s, true
		}
		s = d
	}
	return "", false
}
