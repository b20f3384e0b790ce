package handlers

import (
	"errors"
	"net/http"
	"sync"
)

// ExportSlots bounds the whole-list exports (/payouts.csv, /audit.csv, a
// reconciliation day's diffs.csv) an instance streams at once: each holds a
// database connection for as long as its file takes (seconds a million
// rows), and a handful at once would leave webhook intake and the API
// waiting for the pool. One person has one at a time, so nobody, reading
// their downloads slowly, holds every slot and everyone else's exports.
type ExportSlots struct {
	mu     sync.Mutex
	free   int
	byUser map[int64]bool
}

// NewExportSlots returns room for n exports at once.
func NewExportSlots(n int) *ExportSlots { return &ExportSlots{free: n, byUser: map[int64]bool{}} }

// take takes a slot for user, or says which bound stopped it.
func (s *ExportSlots) take(user int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.byUser[user]:
		return ErrExportYours
	case s.free == 0:
		return ErrExportsBusy
	}
	s.free--
	s.byUser[user] = true
	return nil
}

func (s *ExportSlots) give(user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free++
	delete(s.byUser, user)
}

// MaxExports is how many whole-list exports an instance streams at once.
const MaxExports = 3

// ErrExportsBusy is a whole-list export asked for while MaxExports are
// streaming, and ErrExportYours one asked for while the same person's
// previous one is: 503 with Retry-After, nothing started.
var (
	ErrExportsBusy = errors.New("exports busy")
	ErrExportYours = errors.New("your export is still being written")
)

// exportSlot takes a slot for a whole-list export and gives the request
// the long deadline (longRequest: minutes for millions of rows, past the
// server's 60 s write timeout), or answers 503 (ErrExportsBusy,
// ErrExportYours) and returns false. The caller calls done when the file
// is written.
func (h *Handlers) exportSlot(w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	done = func() {}
	if h.Exports != nil {
		u, _ := UserFrom(r.Context())
		if err := h.Exports.take(u.ID); err != nil {
			Fail(w, r, h.Log, err)
			return nil, false
		}
		done = func() { h.Exports.give(u.ID) }
	}
	longRequest(w)
	return done, true
}
