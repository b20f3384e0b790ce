package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// scopeChoices explain the scopes on the create form.
var scopeChoices = []views.ScopeChoice{
	{Value: string(payout.ScopeLive),
		Description: "sends and reads payouts through the real providers: the platform's token"},
	{Value: string(payout.ScopeTest),
		Description: "sends and reads payouts through the sandbox only: for trying payops, moves no money"},
	{Value: string(payout.ScopeDrills),
		Description: "starts failure drills and follows them (payops drill); sends no payouts"},
}

// TokensPage lists the API tokens, active ones first, with the form that
// creates one.
func (h *Handlers) TokensPage(w http.ResponseWriter, r *http.Request) {
	h.tokensPage(w, r, http.StatusOK, func(vm *views.Tokens) { vm.Notice = h.tokenNotice(r) })
}

func (h *Handlers) tokensPage(w http.ResponseWriter, r *http.Request, status int, adjust func(*views.Tokens)) {
	tokens, err := h.Store.Tokens(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.Tokens{Meta: MetaFor(r, "API tokens", "settings"), Scopes: scopeChoices, Errors: map[string]string{},
		DefaultRate: fmt.Sprintf("%d/s", h.APIRate), APIBase: h.baseURL(r)}
	now := h.Now()
	me, _ := UserFrom(r.Context())
	for _, t := range tokens {
		row := h.tokenRow(t, now, me)
		if t.RevokedAt == nil {
			vm.Active = append(vm.Active, row)
		} else {
			vm.Revoked = append(vm.Revoked, row)
		}
	}
	if adjust != nil {
		adjust(&vm)
	}
	Render(w, r, status, views.TokensPage(vm), nil)
}

func (h *Handlers) tokenRow(t store.APIToken, now time.Time, me User) views.TokenRow {
	id := strconv.FormatInt(t.ID, 10)
	row := views.TokenRow{ID: id, Name: t.Name, Scope: string(t.Scope), Prefix: t.Prefix, Created: me.stamp(t.CreatedAt),
		LastUsed: agoPtr(now, t.LastUsedAt), State: "active", Rate: fmt.Sprintf("%d/s (default)", h.APIRate),
		AllowFrom: "anywhere", RevokeURL: "/settings/tokens/" + id + "/revoke"}
	if t.RevokedAt != nil {
		row.State, row.Revoked = "revoked", me.stamp(*t.RevokedAt)
	}
	if t.RatePerSecond != nil {
		row.Rate = fmt.Sprintf("%d/s", *t.RatePerSecond)
	}
	if len(t.AllowFrom) > 0 {
		row.AllowFrom = strings.Join(t.AllowFrom, ", ")
	}
	return row
}

// tokenSpec reads the create form with the rules of payops token create;
// the errors are one message a field.
func tokenSpec(f views.TokenForm) (store.TokenSpec, map[string]string) {
	var spec store.TokenSpec
	errs := map[string]string{}
	var err error
	if spec.Name, err = payout.ParseTokenName(f.Name); err != nil {
		errs["name"] = upperFirst(err.Error()) + "."
	}
	if spec.Scope, err = payout.ParseScope(f.Scope); err != nil {
		errs["scope"] = "Choose live, test or drills."
	}
	if spec.RatePerSecond, err = payout.ParseTokenRate(f.Rate); err != nil {
		errs["rate"] = upperFirst(err.Error()) + "."
	}
	if spec.AllowFrom, err = payout.ParseNetworks(f.Allow); err != nil {
		errs["allow"] = upperFirst(err.Error()) + "."
	}
	return spec, errs
}

// CreateToken creates an API token and shows its secret on the page, once:
// only its hash is kept, and the page after is the list without it. Bad
// input is 422 with the form and a message a field.
func (h *Handlers) CreateToken(w http.ResponseWriter, r *http.Request) {
	me, _ := UserFrom(r.Context())
	if !me.Role.Can(payout.ActManageTokens) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageTokens))
		return
	}
	f := views.TokenForm{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope"), Rate: r.PostFormValue("rate"),
		Allow: r.PostFormValue("allow")}
	refuse := func(errs map[string]string) {
		h.tokensPage(w, r, http.StatusUnprocessableEntity, func(vm *views.Tokens) {
			vm.Form, vm.Errors, vm.Problem = f, errs, "No token was created: correct the form below."
		})
	}
	spec, errs := tokenSpec(f)
	if len(errs) > 0 {
		refuse(errs)
		return
	}
	secret, err := store.NewToken()
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	spec.By = me.Email
	t, err := h.Store.CreateToken(r.Context(), spec, secret)
	if errors.Is(err, store.ErrConflict) {
		refuse(map[string]string{"name": "An active token has this name already: revoke it first, or choose another name."})
		return
	}
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	created := &views.NewToken{Name: t.Name, Scope: string(t.Scope), Secret: secret,
		Example: fmt.Sprintf("curl -H 'Authorization: Bearer %s' '%s/api/v1/payouts?limit=1'", secret, h.baseURL(r))}
	if t.Scope == payout.ScopeDrills {
		created.Example = fmt.Sprintf("payops drill --token %s --url %s --scenario happy --payouts 50", secret, h.baseURL(r))
	}
	h.tokensPage(w, r, http.StatusCreated, func(vm *views.Tokens) {
		vm.Created = created
		shownOnceAt(&vm.Meta, "/settings/tokens")
	})
}

// RevokeTokenPage asks to confirm revoking a token, saying what it does; a
// token revoked already goes back to the list.
func (h *Handlers) RevokeTokenPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	t, err := h.Store.TokenByID(r.Context(), id)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	if t.RevokedAt != nil {
		redirect(w, r, fmt.Sprintf("/settings/tokens?revoked=%d", t.ID))
		return
	}
	vm := views.RevokeToken{Meta: MetaFor(r, "Revoke token "+t.Name, "settings"), Token: h.tokenRow(t, h.Now(), userOf(r))}
	Render(w, r, http.StatusOK, views.RevokeTokenPage(vm), nil)
}

// RevokeToken revokes a token at once, audited as the admin, and goes back
// to the list. Revoking a token revoked already changes nothing.
func (h *Handlers) RevokeToken(w http.ResponseWriter, r *http.Request) {
	me, _ := UserFrom(r.Context())
	if !me.Role.Can(payout.ActManageTokens) {
		Fail(w, r, h.Log, Forbidden(payout.ActManageTokens))
		return
	}
	id, err := pathID(r)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	_, err = h.Store.RevokeTokenID(r.Context(), id, me.Email)
	if errors.Is(err, store.ErrNotFound) {
		// Revoked already (by someone else, or a second press), or no such token.
		if _, err = h.Store.TokenByID(r.Context(), id); err != nil {
			Fail(w, r, h.Log, err)
			return
		}
	} else if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	redirect(w, r, fmt.Sprintf("/settings/tokens?revoked=%d", id))
}

// tokenNotice says a token named in the address is revoked, when it is.
func (h *Handlers) tokenNotice(r *http.Request) string {
	id, err := strconv.ParseInt(r.URL.Query().Get("revoked"), 10, 64)
	if err != nil {
		return ""
	}
	t, err := h.Store.TokenByID(r.Context(), id)
	if err != nil || t.RevokedAt == nil {
		return ""
	}
	return fmt.Sprintf("Token %s (%s…) is revoked: requests with it are refused.", t.Name, t.Prefix)
}
