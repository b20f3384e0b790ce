package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"payops/payout"
	"payops/store"
)

// APIStore is what the platform API reads and writes.
type APIStore interface {
	Authenticate(ctx context.Context, token string) (store.APIToken, error)
	Intake(ctx context.Context, req payout.Request, policy payout.Policy, by store.Actor) (bool, error)
	PayoutWithMetadata(ctx context.Context, ref string, m store.RefMode) (store.Payout, error)
	FindPayouts(ctx context.Context, q store.PayoutQuery) (store.PayoutPage, error)
	HoldsOfPayouts(ctx context.Context, ids []int64) (map[int64][]store.Hold, error)
	OpenCasesOfPayouts(ctx context.Context, ids []int64) (map[int64][]store.Case, error)
	LedgerOfPayouts(ctx context.Context, ps []store.Payout) (map[int64][]store.LedgerEntry, error)
	DrillRunByID(ctx context.Context, id int64) (store.DrillRun, error)
	Markets(ctx context.Context) ([]store.MarketDoc, error)
}

// API is the JSON API of the platform that sends payouts. It records
// payouts and answers their status; it never calls a provider (the
// submission worker does). It also starts failure drills for drills tokens.
type API struct {
	Store     APIStore
	Providers func() []string // the providers configured and on now
	Policy    payout.Policy
	Drills    DrillRunner // nil when drills run outside this payops
	Log       *slog.Logger
	// Rate and Burst limit each token's requests (a token's own rate
	// replaces Rate, and its burst is twice that); Limiter keeps count.
	Rate, Burst int
	Limiter     *RateLimiter[int64]
	Now         func() time.Time
}

type tokenKey struct{}

// Authenticated lets through requests with an active bearer token, from an
// address the token allows, within the token's rate: 401 without such a
// token, 403 from another address, 429 with Retry-After over the rate.
func (a *API) Authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !payout.IsText(r.URL.Path) || !payout.IsText(r.URL.RawQuery) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request", Message: "the address contains bytes that are not text (invalid UTF-8 or NUL)"})
			return
		}
		// The scheme's name is case-insensitive (RFC 9110, 11.1).
		scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			a.unauthorized(w, "missing bearer token: send the header Authorization: Bearer <token>")
			return
		}
		tok, err := a.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.unauthorized(w, "unknown token")
			return
		case errors.Is(err, store.ErrTokenRevoked):
			a.unauthorized(w, "token revoked: ask for a new one")
			return
		case err != nil:
			a.fail(w, r, err)
			return
		}
		if ip := ClientIP(r); !payout.FromAllowed(ip, tok.AllowFrom) {
			a.Log.Warn("api token used from an address it does not allow", "token", tok.Name, "ip", ip)
			writeJSON(w, http.StatusForbidden, apiError{Error: "forbidden", Message: "this token is not accepted from " + ip})
			return
		}
		rate, burst := a.Rate, a.Burst
		if tok.RatePerSecond != nil {
			rate, burst = *tok.RatePerSecond, 2**tok.RatePerSecond
		}
		if ok, wait := a.Limiter.Allow(tok.ID, rate, burst, a.Now()); !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeJSON(w, http.StatusTooManyRequests, apiError{Error: "rate_limited",
				Message: fmt.Sprintf("over this token's %d requests a second; retry after %d s", rate, secs)})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	}
}

// tokenOf returns the request's authenticated token.
func tokenOf(r *http.Request) store.APIToken {
	tok, _ := r.Context().Value(tokenKey{}).(store.APIToken)
	return tok
}

// forScope answers 403 and returns false when the request's token is not of
// a scope that may.
func (a *API) forScope(w http.ResponseWriter, r *http.Request, may func(payout.Scope) bool, what string) bool {
	tok := tokenOf(r)
	if may(tok.Scope) {
		return true
	}
	writeJSON(w, http.StatusForbidden, apiError{Error: "forbidden",
		Message: fmt.Sprintf("this is a %s token: it may not %s", tok.Scope, what)})
	return false
}

func (a *API) unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="payops"`)
	writeJSON(w, http.StatusUnauthorized, apiError{Error: "unauthorized", Message: msg})
}

// maxRequest bounds a payout request's body.
const maxRequest = 64 << 10

// CreatePayout records a payout request: 202 with the payout, its status
// (QUEUED, or HELD with the holds), whether new or the same request again;
// 409 for a reference_id used with a different request; 422 with a message
// per bad field.
func (a *API) CreatePayout(w http.ResponseWriter, r *http.Request) {
	if !a.forScope(w, r, payout.Scope.SendsPayouts, "send payouts (use a live or test token)") {
		return
	}
	// Declared, not guessed: a body sent with no type (or a form's, curl -d's
	// own) is refused before it is read, as README says.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{Error: "unsupported_media_type",
			Message: "send the payout as JSON with Content-Type: application/json"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		badBody(w, err, "payout", maxRequest)
		return
	}
	// JSON decoding would quietly turn bytes that are not UTF-8 into U+FFFD.
	if !utf8.Valid(body) {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request", Message: "the body is not valid UTF-8"})
		return
	}
	var raw payout.RawRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		if fields := payout.KeysRefusal(body); fields != nil && strings.HasPrefix(err.Error(), "json: unknown field ") {
			// Decoding names an unknown field without where it is
			// (beneficiary's "provider" as "provider"): the keys' check
			// names it in full.
			writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: "the payout has invalid fields", Fields: fields})
			return
		}
		badBody(w, err, "payout", maxRequest)
		return
	}
	if dec.More() {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request", Message: "send one JSON object"})
		return
	}
	if fields := payout.KeysRefusal(body); fields != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: "the payout has invalid fields", Fields: fields})
		return
	}
	tok := tokenOf(r)
	configured := a.Providers()
	req, fields := raw.Check(tok.Scope.Providers(configured))
	if msg := tok.Scope.ProviderRefusal(strings.TrimSpace(raw.Provider), configured); msg != "" {
		if fields == nil {
			fields = payout.FieldErrors{}
		}
		fields["provider"] = msg
	}
	if fields != nil {
		if again, ok := a.recordedAgain(r.Context(), raw, tok); ok {
			req, fields = again, nil
		}
	}
	if fields != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: "the payout has invalid fields", Fields: fields})
		return
	}
	created, err := a.Store.Intake(r.Context(), req, a.Policy, store.Actor{Name: "api:" + tok.Name})
	var idem *store.IdempotencyError
	if errors.As(err, &idem) {
		writeJSON(w, http.StatusConflict, apiError{Error: "idempotency_conflict", Message: idem.Error(), Field: idem.Field})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	a.writePayout(w, r, req.ReferenceID, http.StatusAccepted)
}

// recordedAgain checks raw as it was checked when the payout under its
// reference was recorded, with that payout's provider among the token's
// whatever is configured now: a request repeated after its provider was
// switched off (a drill's slot closed, its credentials removed) goes on to
// be compared with the recorded one — 202 replayed, or 409 naming what
// differs — rather than be refused as a new one. A 422 says nothing was
// recorded, and a platform believing it could send the payout again under
// another reference: twice.
func (a *API) recordedAgain(ctx context.Context, raw payout.RawRequest, tok store.APIToken) (payout.Request, bool) {
	ref := strings.TrimSpace(raw.ReferenceID)
	if ref == "" {
		return payout.Request{}, false
	}
	p, err := a.Store.PayoutWithMetadata(ctx, ref, store.Exactly(tok.Scope.Live()))
	if err != nil || !tok.Scope.Covers(p.Provider) {
		return payout.Request{}, false
	}
	req, fields := raw.CheckRecorded(append(tok.Scope.Providers(a.Providers()), p.Provider))
	return req, fields == nil
}

// badBody answers a body that does not decode into a request of what (a
// "payout", a "drill") of at most limit bytes: 413 when too large, 422 for a
// field of the wrong type or unknown, 400 for anything that is not JSON —
// each in the API's words, not Go's.
func badBody(w http.ResponseWriter, err error, what string, limit int) {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	invalid := "the " + what + " has invalid fields"
	switch {
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: "too_large", Message: fmt.Sprintf("the body is larger than %d bytes", limit)})
	case errors.As(err, &typeErr) && typeErr.Field != "":
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: invalid,
			Fields: payout.FieldErrors{typeErr.Field: "must be a JSON " + jsonKind(typeErr.Type.Kind().String())}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := payout.Echo(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
		writeJSON(w, http.StatusUnprocessableEntity, apiError{Error: "invalid_request", Message: invalid,
			Fields: payout.FieldErrors{field: "is not a field of a " + what + " request"}})
	default:
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad_request", Message: "the body is not a JSON object: " + err.Error()})
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

// GetPayout answers a payout's status: provider payout id, UTR, failure,
// open and past holds, ledger entries.
func (a *API) GetPayout(w http.ResponseWriter, r *http.Request) {
	if !a.forScope(w, r, payout.Scope.SendsPayouts, "read payouts (use a live or test token)") {
		return
	}
	a.writePayout(w, r, r.PathValue("ref"), http.StatusOK)
}

// writePayout answers the payout of the token's mode (a reference is
// unique per mode); one of the other scope's providers is not found, as if
// it did not exist.
func (a *API) writePayout(w http.ResponseWriter, r *http.Request, ref string, status int) {
	p, err := a.Store.PayoutWithMetadata(r.Context(), ref, store.Exactly(tokenOf(r).Scope.Live()))
	if err == nil && !tokenOf(r).Scope.Covers(p.Provider) {
		err = store.ErrNotFound
	}
	var out []apiPayout
	if err == nil {
		out, err = a.apiPayouts(r.Context(), []store.Payout{p})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, status, out[0])
}

// apiPayouts returns the payouts as the API shows them, with their holds and
// ledger entries loaded in one query each however many payouts there are.
func (a *API) apiPayouts(ctx context.Context, ps []store.Payout) ([]apiPayout, error) {
	out := make([]apiPayout, 0, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	holds, err := a.Store.HoldsOfPayouts(ctx, ids)
	if err != nil {
		return nil, err
	}
	entries, err := a.Store.LedgerOfPayouts(ctx, ps)
	if err != nil {
		return nil, err
	}
	cases, err := a.Store.OpenCasesOfPayouts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		pj := store.PayoutJSONOf(p, holds[p.ID], entries[p.ID])
		pj.AddOpenCases(cases[p.ID])
		out = append(out, pj)
	}
	return out, nil
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "there is no payout with this reference_id"})
	case store.IsRetryable(err):
		a.Log.Warn("api request rolled back beside concurrent work", "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: "busy", Message: "the request met concurrent work on the same payouts and nothing was recorded; retry with the same body"})
	case store.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded):
		a.Log.Error("database unavailable", "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
		w.Header().Set("Retry-After", "5")
		msg := "payops cannot reach its database; retry with the same body (the same request is answered once recorded, never recorded twice)"
		if r.Method == http.MethodGet {
			msg = "payops cannot reach its database; retry"
		}
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: "unavailable", Message: msg})
	default:
		a.Log.Error("api request failed", "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal", Message: "the error was logged; retry with the same body (the same request is answered once recorded, never recorded twice)"})
	}
}

type apiError struct {
	Error   string             `json:"error"`
	Message string             `json:"message"`
	Field   string             `json:"field,omitempty"`
	Fields  payout.FieldErrors `json:"fields,omitempty"`
}

// apiPayout is the payout as the platform sees it; store builds it for the
// API and the outbound events alike.
type apiPayout = store.PayoutJSON

// NotFound answers an address under /api/ that names no route, in JSON as
// the rest of the API: 405 with Allow when the path has routes for other
// methods (routes looks them up), else 404.
func NotFound(routes *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := routes.Handler(probe); strings.HasPrefix(pattern, m+" ") {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, apiError{Error: "method_not_allowed",
				Message: r.Method + " is not allowed here: use " + strings.Join(allow, " or ")})
			return
		}
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found",
			Message: "no API route " + r.URL.Path + ": the routes are under /api/v1 (see the README's platform API)"})
	}
}
