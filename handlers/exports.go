package handlers

import (
	"errors"
	"net/http"
)

// ExportSlots bounds the whole-list exports (/payouts.csv, /audit.csv) an
// instance streams at once: each holds a database connection for as long
// as its file takes (seconds a million rows), and a handful at once would
// leave webhook intake and the API waiting for the pool.
type ExportSlots chan struct{}

// NewExportSlots returns room for n exports at once.
func NewExportSlots(n int) ExportSlots { return make(ExportSlots, n) }

// MaxExports is how many whole-list exports an instance streams at once.
const MaxExports = 3

// ErrExportsBusy is a whole-list export asked for while MaxExports are
// streaming: 503 with Retry-After, nothing started.
var ErrExportsBusy = errors.New("exports busy")

// exportSlot takes a slot for a whole-list export and gives the request
// the long deadline (longRequest: minutes for millions of rows, past the
// server's 60 s write timeout), or answers 503 (ErrExportsBusy) and returns
// false. The caller calls done when the file is written.
func (h *Handlers) exportSlot(w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	done = func() {}
	if h.Exports != nil {
		select {
		case h.Exports <- struct{}{}:
			done = func() { <-h.Exports }
		default:
			Fail(w, r, h.Log, ErrExportsBusy)
			return nil, false
		}
	}
	longRequest(w)
	return done, true
}
