package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"payops/adapters"
	"payops/payout"
	"payops/store"
	"payops/views"
)

// Errors a handler reports to its user.
var (
	ErrForbidden  = errors.New("forbidden")
	ErrBadRequest = errors.New("bad request")
)

// forbidden is ErrForbidden naming the action refused, so the page says
// who may take it (Forbidden).
type forbidden struct{ action payout.Action }

func (f forbidden) Error() string { return "forbidden: " + string(f.action) }
func (f forbidden) Unwrap() error { return ErrForbidden }

// Forbidden refuses action to the request's user: 403, the page saying
// which roles may take it.
func Forbidden(action payout.Action) error { return forbidden{action} }

// forbiddenMessage says why u may not take the action err names.
func forbiddenMessage(u User, err error) string {
	f, ok := errors.AsType[forbidden](err)
	if !ok {
		return "Your role does not allow this action. Ask an admin if you need it."
	}
	msg := fmt.Sprintf("Only %s may %s; your role, %s, may not.", andList(payout.RoleNames(f.action)), f.action.Label(), u.Role)
	if u.Role != payout.RoleAdmin {
		msg += " Ask an admin if you need it."
	}
	return msg
}

// ErrNotInTime is a page not answered within its deadline (the web
// package's pagesWithin): 503 with Retry-After.
var ErrNotInTime = errors.New("page not answered in time")

// Fail is the one place an error becomes an HTTP status and a page the user
// can read: not found 404, forbidden 403, bad input 400, a body over its cap
// (http.MaxBytesError) 413, a concurrent change (store.ErrConflict) 409,
// database down 503, anything else 500. Only the last two are logged, here,
// once; no stack trace or internal message reaches the page.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := views.Error{Meta: MetaFor(r, "Error", "")}
	maxBytes, tooLarge := errors.AsType[*http.MaxBytesError](err)
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.Status, e.Heading, e.Message = http.StatusNotFound, "Not found", "There is no such payout or page. Check the reference and try again."
	case errors.Is(err, ErrForbidden):
		u, _ := UserFrom(r.Context())
		e.Status, e.Heading, e.Message = http.StatusForbidden, "Not allowed", forbiddenMessage(u, err)
	case errors.Is(err, ErrBadRequest):
		e.Status, e.Heading, e.Message = http.StatusBadRequest, "Bad request", err.Error()
	case tooLarge:
		e.Status, e.Heading = http.StatusRequestEntityTooLarge, "Too large"
		e.Message = fmt.Sprintf("The form is larger than %d KiB, more than payops takes here. Nothing was changed.",
			maxBytes.Limit>>10)
	case errors.Is(err, store.ErrFourEyes):
		e.Status, e.Heading, e.Message = http.StatusForbidden, "Four-eyes rule", upperFirst(err.Error())
	case errors.Is(err, ErrExportsBusy):
		e.Status, e.Heading = http.StatusServiceUnavailable, "Exports busy"
		e.Message = fmt.Sprintf("%d exports are being written already; try again in a minute. Nothing was started.", MaxExports)
		w.Header().Set("Retry-After", "30")
	case errors.Is(err, ErrExportYours):
		e.Status, e.Heading = http.StatusServiceUnavailable, "Your export is still being written"
		e.Message = "Your previous export is still being written: one at a time each. Wait for its download to " +
			"finish, then ask again. Nothing was started."
		w.Header().Set("Retry-After", "30")
	case errors.Is(err, store.ErrConflict):
		// Two people changing one thing at once: the other's change landed.
		e.Status, e.Heading = http.StatusConflict, "Changed meanwhile"
		e.Message = "Someone changed this at the same moment. Nothing of yours was changed; load the page again and retry."
	case errors.Is(err, store.ErrRefused):
		e.Status, e.Heading, e.Message = http.StatusConflict, "Refused", upperFirst(err.Error())
	case adapters.KindOf(err) != "":
		log.Warn("provider call failed", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusBadGateway, "Provider unavailable",
			"The provider could not answer ("+err.Error()+"). Nothing was changed; try again later."
	case store.IsRecoveryConflict(err):
		log.Warn("read cancelled by the replica's recovery", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusServiceUnavailable, "Busy, try again",
			"The read replica cancelled this read while it applied the primary's latest changes. Nothing was "+
				"changed; load the page again."
		w.Header().Set("Retry-After", "1")
	case store.IsRetryable(err):
		log.Warn("request rolled back beside concurrent work", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusServiceUnavailable, "Busy, try again",
			"Your change met someone else's at the same moment and was rolled back: nothing was changed. Try again."
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, ErrNotInTime):
		// Logged where the deadline struck, with the request's id.
		e.Status, e.Heading = http.StatusServiceUnavailable, "Not answered in time"
		e.Message = "payops could not load this page in time: its database is slow or not answering. Nothing was " +
			"changed; try again in a moment."
		w.Header().Set("Retry-After", "5")
	case store.IsReplicaDown(err):
		log.Error("read replica unavailable", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusServiceUnavailable, "Read replica unavailable",
			"payops cannot reach its read replica (PAYOPS_READ_DATABASE_URL), which the payout list, search, the "+
				"audit log, the webhooks page and exports read. Payout pages and every action read the primary and "+
				"work. Nothing was changed; try again in a moment."
		w.Header().Set("Retry-After", "5")
	case store.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded):
		log.Error("database unavailable", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusServiceUnavailable, "Database unavailable",
			"payops cannot reach its database right now and keeps trying. Nothing was changed; try again in a moment."
		w.Header().Set("Retry-After", "5")
	default:
		log.Error("request failed", "path", LogPath(r), "request_id", RequestID(r.Context()), "err", err)
		e.Status, e.Heading, e.Message = http.StatusInternalServerError, "Something went wrong", "The error was logged. Nothing was changed; try again."
	}
	e.Meta.Title = e.Heading
	if r.Method != http.MethodGet && r.Method != http.MethodHead && e.Here != "/" {
		e.Back = e.Here // the page the post came from (MetaFor): the payout, the case, the day
	}
	if r.Header.Get("HX-Request") == "true" {
		// Whatever the request aimed at, the error shows at the top of the
		// page, scrolled into view: the operator sees it from a form far down.
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML show:#flash:top")
		// Whatever part of the answer the request would have taken.
		w.Header().Set("HX-Reselect", "#flash-error")
	}
	Render(w, r, e.Status, views.ErrorPage(e), views.ErrorFlash(e))
}

// LogPath is the request's path as logs may show it: a set-password link's
// token is a secret, left out.
func LogPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/set-password/") {
		return "/set-password/…"
	}
	return r.URL.Path
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// BadRequest returns an ErrBadRequest whose message the user sees.
func BadRequest(msg string) error { return &badRequest{msg} }

type badRequest struct{ msg string }

func (b *badRequest) Error() string        { return b.msg }
func (b *badRequest) Is(target error) bool { return target == ErrBadRequest }
