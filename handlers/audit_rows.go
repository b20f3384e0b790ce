package handlers

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// auditLine is an entry as the audit log shows it to a user of role: what
// it is about, linked to that page when there is one the role may open, and
// its details as masked key: value lines.
func auditLine(e store.AuditEntry, u User) views.AuditLine {
	role := u.Role
	details := auditDetails(e.Details)
	line := views.AuditLine{ID: strconv.FormatInt(e.ID, 10), At: u.stamp(e.At), Actor: e.Actor, Action: e.Action,
		Sentence: auditSentence(e), Details: flatDetails(details)}
	line.Kind, line.Entity, line.EntityHref = auditEntity(e, details, role)
	return line
}

// auditEntity names what an entry is about and the page that shows it, for
// the roles that may open it: drills for those who run drills, users and
// tokens (their rows on the settings pages) for those who manage them.
func auditEntity(e store.AuditEntry, details any, role payout.Role) (kind, name, href string) {
	id := e.EntityID
	switch e.EntityType {
	case "payout":
		ref, live := store.PayoutOfEntity(id)
		href = views.PayoutPath(ref, live)
		if !strings.HasPrefix(e.Action, "hold.") {
			return "payout", id, href
		}
		if m, ok := details.(map[string]any); ok && m["hold"] != nil {
			return "hold", id + " · hold #" + scalar(m["hold"]), href
		}
		return "hold", id, href
	case "recon":
		provider, date, _ := strings.Cut(id, "/")
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return "reconciliation day", id, ""
		}
		return "reconciliation day", provider + " · " + date, dayPath(provider, d)
	case "drill":
		if role.Can(payout.ActRunDrills) {
			href = "/drills/" + url.PathEscape(id)
		}
		return "drill", "#" + id, href
	case "hold_reason":
		return "hold owners and SLA", id, "/holds/owners"
	case "exception_kind":
		if _, class, ok := strings.Cut(id, ":"); ok { // a failed payout's case owner by failure class
			return "case owner by failure class", id, "/holds/owners#class-owner-" + url.PathEscape(class)
		}
		return "case owners and SLA", id, "/holds/owners#exception-owners"
	case "exception":
		return "exception case", "#" + id, "/exceptions/" + url.PathEscape(id)
	case "user":
		if role.Can(payout.ActManageUsers) {
			href = "/settings/users#user-" + url.PathEscape(id)
		}
		return "user", "#" + id, href
	case "api_token":
		if role.Can(payout.ActManageTokens) {
			href = "/settings/tokens#token-" + url.PathEscape(id)
		}
		return "API token", "#" + id, href
	case "market":
		code, program, _ := strings.Cut(id, "/")
		if role.Can(payout.ActReadMarkets) {
			href = marketHref(code, program)
		}
		return "market", id, href
	case "webhook_endpoint":
		if role.Can(payout.ActManageWebhooks) {
			href = "/settings/webhooks/" + url.PathEscape(id)
		}
		return "webhook endpoint", "#" + id, href
	case "notify":
		if role.Can(payout.ActConfigureNotify) {
			href = "/settings/notifications"
		}
		return "notification settings", id, href
	}
	return e.EntityType, id, ""
}

// auditDetails returns an entry's details decoded, with account numbers
// masked by the rules of webhook bodies (MaskBody): whatever key carries
// them, however deep. Numbers keep their digits (json.Number).
func auditDetails(raw []byte) any {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return MaskBody(raw)
	}
	return maskValue(v)
}

// flatDetails turns details into lines, one a value, keys in order: nested
// keys joined with dots, items of lists numbered, a list of plain values
// on one line.
func flatDetails(v any) []views.AuditDetail {
	var out []views.AuditDetail
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(joinKey(key, k), t[k])
			}
		case []any:
			if changes, ok := fieldChanges(t); ok {
				out = append(out, changes...)
				return
			}
			if !allScalar(t) {
				for i, item := range t {
					walk(key+"["+strconv.Itoa(i)+"]", item)
				}
				return
			}
			items := make([]string, len(t))
			for i, item := range t {
				items[i] = scalar(item)
			}
			out = append(out, views.AuditDetail{Key: key, Value: dash(strings.Join(items, ", "))})
		default:
			out = append(out, views.AuditDetail{Key: key, Value: scalar(v)})
		}
	}
	if v != nil {
		walk("", v)
	}
	return out
}

// fieldChanges reads a list of changes ({Field, From, To}, as
// payout.Change is stored) as one line each, "field: from → to".
func fieldChanges(items []any) ([]views.AuditDetail, bool) {
	var out []views.AuditDetail
	for _, it := range items {
		m, ok := it.(map[string]any)
		field, named := m["Field"].(string)
		if !ok || !named || len(m) != 3 {
			return nil, false
		}
		out = append(out, views.AuditDetail{Key: field, Value: scalar(m["From"]) + " → " + scalar(m["To"])})
	}
	return out, len(out) > 0
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func allScalar(items []any) bool {
	for _, it := range items {
		switch it.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// scalar writes a plain JSON value as text: "—" for null or nothing.
func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return "—"
	case string:
		return dash(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
