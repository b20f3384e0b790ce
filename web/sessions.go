package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"payops/handlers"
	"payops/store"
	"payops/views"
)

// Sessions live on the server, in the sessions table; the cookie carries
// only a random id, signed and encrypted. A session ends at sign-out, when
// its user is disabled or changes role, after the idle period without a
// request, or sessionMaxAge after sign-in.
const (
	sessionName   = "payops_session"
	sessionMaxAge = 8 * time.Hour
	// DefaultSessionIdle is how long a session lasts without a request
	// unless PAYOPS_SESSION_IDLE says otherwise.
	DefaultSessionIdle = 30 * time.Minute
	// sessionTouchEvery is how often a session's last use is written at
	// most, rather than on every request; a session may so end up to this
	// much before its idle period is quite over.
	sessionTouchEvery = time.Minute
)

// SessionStore is what sessions need of the store.
type SessionStore interface {
	CreateSession(ctx context.Context, sid string, userID int64, addr string, at time.Time) (store.Session, error)
	SessionBySID(ctx context.Context, sid string) (store.Session, store.User, error)
	EndSession(ctx context.Context, id int64, reason string, at time.Time) (bool, error)
	TouchSession(ctx context.Context, id int64, at time.Time) error
}

// newSessionStore returns a cookie store: HttpOnly, SameSite=Lax, Secure when
// asked, living 8 hours. Two keys derived from the configured one sign and
// encrypt the cookie.
func newSessionStore(key []byte, secure bool) *sessions.CookieStore {
	cs := sessions.NewCookieStore(deriveKey(key, "payops session signing"), deriveKey(key, "payops session encryption"))
	cs.Options = &sessions.Options{Path: "/", MaxAge: int(sessionMaxAge.Seconds()), HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode}
	cs.MaxAge(int(sessionMaxAge.Seconds()))
	return cs
}

// saveCookie writes the session cookie, Secure when the dashboard is
// served over HTTPS (PAYOPS_SECURE_COOKIES) and also, without that setting,
// when this request came over HTTPS: directly (TLS) or through a proxy that
// terminated it (X-Forwarded-Proto: https). A cookie given over HTTPS is so
// never sent back over plain HTTP. The header may be sent by anyone; believing
// it can only make the cookie stricter.
func (s *Server) saveCookie(w http.ResponseWriter, r *http.Request, cookie *sessions.Session) error {
	cookie.Options.Secure = s.secure || r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	return cookie.Save(r, w)
}

// deriveKey returns a key for one purpose (label) from the configured key.
func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// newSessionID returns 256 random bits, URL-safe: the id a cookie carries.
func newSessionID() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: it crashes the program rather than return an error
	return base64.RawURLEncoding.EncodeToString(b)
}

type sessionKey struct{}

// sessionFrom returns the id of the request's live session, if any.
func sessionFrom(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(sessionKey{}).(int64)
	return id, ok
}

// startSession starts a session for u and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u store.User) (store.Session, error) {
	sid := newSessionID()
	sess, err := s.users.CreateSession(r.Context(), sid, u.ID, handlers.ClientIP(r), s.now())
	if err != nil {
		return store.Session{}, err
	}
	cookie, _ := s.sessions.New(r, sessionName)
	cookie.Values = map[any]any{"sid": sid}
	if err := s.saveCookie(w, r, cookie); err != nil {
		return store.Session{}, fmt.Errorf("web: session cookie: %w", err)
	}
	return sess, nil
}

// loadUser puts the user of the request's live session, if any, in the
// request's context. A session found past its limits is ended on the way.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, u, err := s.liveSession(r)
		if err != nil {
			handlers.Fail(w, r, s.log, err)
			return
		}
		if sess == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), sessionKey{}, sess.ID)
		ctx = handlers.WithUser(ctx, handlers.User{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role,
			Zone: s.zones.of(u.TimeZone), TestData: s.viewsTestData(r), DecidesFrom: u.DecidesFrom})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// liveSession returns the live session the request's cookie names and its
// user, or nil.
func (s *Server) liveSession(r *http.Request) (*store.Session, store.User, error) {
	cookie, _ := s.sessions.Get(r, sessionName)
	sid, _ := cookie.Values["sid"].(string)
	if sid == "" {
		return nil, store.User{}, nil
	}
	ctx := r.Context()
	sess, u, err := s.users.SessionBySID(ctx, sid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.User{}, nil
	}
	if err != nil {
		return nil, store.User{}, err
	}
	now := s.now()
	if reason := sessionOver(sess, u, now, s.idle); reason != "" {
		if sess.EndedAt == nil {
			if _, err := s.users.EndSession(ctx, sess.ID, reason, now); err != nil {
				return nil, store.User{}, err
			}
		}
		return nil, store.User{}, nil
	}
	// A page polling by itself (views.PollHeader) is not a use: an open
	// drill or job page left unattended still goes idle. A POST is a use
	// whatever it carries.
	polled := r.Method == http.MethodGet && r.Header.Get(views.PollHeader) != ""
	if !polled && now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.users.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, store.User{}, err
		}
	}
	return &sess, u, nil
}

// sessionOver returns why sess is over at now, or "" while it lives.
func sessionOver(sess store.Session, u store.User, now time.Time, idle time.Duration) string {
	switch {
	case sess.EndedAt != nil:
		return *sess.EndReason
	case u.DisabledAt != nil:
		return store.EndUserDisabled
	case now.Sub(sess.CreatedAt) >= sessionMaxAge:
		return store.EndExpired
	case now.Sub(sess.LastSeenAt) >= idle:
		return store.EndIdle
	}
	return ""
}

// logout ends the session on the server, so a copy of its cookie is worth
// nothing from now on, and clears the cookie. When the database cannot end
// it the user is told (503), not shown the sign-in page as if signed out.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if id, ok := sessionFrom(r.Context()); ok {
		if _, err := s.users.EndSession(r.Context(), id, store.EndLogout, s.now()); err != nil {
			handlers.Fail(w, r, s.log, err)
			return
		}
		u, _ := handlers.UserFrom(r.Context())
		err := s.users.Audit(r.Context(), u.Email, "user.logout", "user", fmt.Sprint(u.ID),
			map[string]any{"session": id})
		if err != nil {
			s.log.Warn("audit sign-out", "err", err)
		}
	}
	cookie, _ := s.sessions.Get(r, sessionName)
	cookie.Values = map[any]any{}
	cookie.Options.MaxAge = -1
	if err := s.saveCookie(w, r, cookie); err != nil {
		s.log.Warn("clear session cookie", "err", err)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
