package sandbox

// The sandbox's answers about payouts it was sent: one by its id or our
// reference, or the list of a period, each as it stands now.

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strings"
	"time"

	"payops/adapters/nxtbanking"
)

// handleLookup finds a payout by reference_id, or lists payouts created in
// [from, to).
func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("from") || q.Has("to") {
		from, err1 := time.Parse(time.RFC3339, q.Get("from"))
		to, err2 := time.Parse(time.RFC3339, q.Get("to"))
		if err1 != nil || err2 != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "from and to must be RFC 3339 times"})
			return
		}
		now := time.Now()
		s.mu.Lock()
		list := []nxtbanking.PayoutResource{}
		for _, rec := range s.byID {
			if !rec.CreatedAt.Before(from) && rec.CreatedAt.Before(to) {
				list = append(list, s.resource(rec, now))
			}
		}
		s.mu.Unlock()
		sort.Slice(list, func(i, j int) bool { return list[i].PayoutID < list[j].PayoutID })
		writeJSON(w, http.StatusOK, map[string]any{"payouts": list})
		return
	}
	ref := q.Get("reference_id")
	s.mu.Lock()
	rec, ok := s.byRef[ref]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no payout with that reference_id"})
		return
	}
	writeJSON(w, http.StatusOK, s.resource(rec, time.Now()))
}

// handleGet answers for payouts it was sent and, so that demo data loaded
// straight into payops can be re-checked, for any id that looks like one of
// its own: those have been settled long ago. A drill's sandbox (with Chaos)
// knows only what it was sent, so it never contradicts an earlier drill's.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	rec, ok := s.byID[id]
	s.mu.Unlock()
	if !ok {
		if !strings.HasPrefix(id, "sbx_") || s.cfg.Chaos != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such payout"})
			return
		}
		rec = &record{PayoutID: id, CreatedAt: time.Time{}} // no amount known: none stated
	}
	writeJSON(w, http.StatusOK, s.resource(rec, time.Now()))
}

// resource is the payout as the API shows it at time now: QUEUED until
// SettleAfter has passed since creation, then its fate.
func (s *Server) resource(rec *record, now time.Time) nxtbanking.PayoutResource {
	res := nxtbanking.PayoutResource{PayoutID: rec.PayoutID, ReferenceID: rec.ReferenceID, Amount: s.stated(rec),
		Currency: rec.Currency, Timestamp: now.UTC().Format(time.RFC3339)}
	if now.Sub(rec.CreatedAt) < s.cfg.SettleAfter {
		res.Status = "QUEUED"
		return res
	}
	if rec.BadIFSC {
		res.Status, res.FailureCode, res.FailureReason = "FAILED", InvalidIFSC, InvalidIFSCReason
		return res
	}
	switch FateOf(s.cfg.Seed, rec.PayoutID) {
	case Success:
		res.Status, res.UTR = "SUCCESS", utrFor(rec.PayoutID)
	case Failure:
		res.Status, res.FailureCode, res.FailureReason = "FAILED", FailureCode, FailureReason
	case Stuck:
		res.Status = "PROCESSING"
	case Reversal:
		res.Status, res.UTR = "REVERSED", utrFor(rec.PayoutID)
		if c := s.cfg.Chaos; c != nil && now.Sub(rec.CreatedAt) < s.cfg.SettleAfter+c.ReverseAfter {
			res.Status = "SUCCESS"
		}
	}
	return res
}

func utrFor(id string) string {
	h := fnv.New64a()
	h.Write([]byte("utr/" + id))
	return fmt.Sprintf("%012d", h.Sum64()%1_000_000_000_000)
}
