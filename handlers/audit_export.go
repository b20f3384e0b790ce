package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"payops/store"
)

// ExportAudit writes the entries the audit log's filter selects as CSV,
// newest first, every one of them: read from the database and written one
// at a time, so the whole log exports in the memory of one entry. Cells
// that a spreadsheet would read as a formula are prefixed with '; account
// numbers in details are masked as on the page. A filter that makes no
// sense is 400 before anything is written; a failure part way ends the
// file with an ERROR row, so nobody takes it for the whole log.
func (h *Handlers) ExportAudit(w http.ResponseWriter, r *http.Request) {
	actions, err := h.Store.AuditActions(r.Context())
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	q, problems := auditFilterFrom(r.URL.Query()).query(h.zone(), actions)
	if len(problems) > 0 {
		Fail(w, r, h.Log, BadRequest(strings.Join(problems, " ")))
		return
	}
	done, ok := h.exportSlot(w, r)
	if !ok {
		return
	}
	defer done()
	name := "payops-audit-" + h.Now().In(h.zone()).Format(time.DateOnly) + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor", "action", "entity_type", "entity_id", "details"})
	err = h.Store.EachAudit(r.Context(), q, func(e store.AuditEntry) error {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), cell(e.Actor),
			cell(e.Action), cell(e.EntityType), cell(e.EntityID), cell(detailsJSON(e.Details))})
		return cw.Error()
	})
	if err != nil {
		if r.Context().Err() != nil {
			h.Log.Warn("export audit log: the client went away", "err", err)
		} else {
			h.Log.Error("export audit log", "err", err)
		}
		cw.Write([]string{"ERROR", "the export stopped early: this file is incomplete; download it again"})
	}
	cw.Flush()
}

// detailsJSON is an entry's details as compact JSON with account numbers
// masked, as written (no HTML escaping: a CSV is no page).
func detailsJSON(raw []byte) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(auditDetails(raw)); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}
