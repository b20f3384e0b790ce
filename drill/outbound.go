package drill

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Receiver is the platform's side of outbound webhooks in a drill: it
// verifies every delivery by the Standard Webhooks algorithm, refuses a
// share of first attempts with 500 (so retries are part of the drill), and
// keeps what it accepted, in order.
type Receiver struct {
	key    []byte
	refuse float64 // the share of webhook-ids refused the first time

	mu       sync.Mutex
	seen     map[string]string // webhook-id: the body first sent with it
	accepted map[string]int    // webhook-id: the order it was first accepted in
	statuses []acceptedStatus
	refused  int
	bad      int
	dups     int
	changed  int
}

type acceptedStatus struct {
	ref, typ, status string
}

// NewReceiver returns a receiver that refuses the first attempt of refuse
// of the events; it accepts nothing until it trusts a secret.
func NewReceiver(refuse float64) *Receiver {
	return &Receiver{refuse: refuse, seen: map[string]string{}, accepted: map[string]int{}}
}

// Trust makes the receiver accept deliveries signed with secret
// (whsec_...): the endpoint's, known once the endpoint is added with the
// receiver's URL.
func (rc *Receiver) Trust(secret string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("drill receiver: %w", err)
	}
	rc.mu.Lock()
	rc.key = key
	rc.mu.Unlock()
	return nil
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !rc.verify(id, ts, r.Header.Get("webhook-signature"), body) {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	first, seen := rc.seen[id]
	if seen && first != string(body) {
		rc.changed++
	}
	if !seen {
		rc.seen[id] = string(body)
		if rand.Float64() < rc.refuse {
			rc.refused++
			http.Error(w, "refused for the drill", http.StatusInternalServerError)
			return
		}
	}
	if _, ok := rc.accepted[id]; ok {
		rc.dups++
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.accepted[id] = len(rc.accepted)
	var ev struct {
		Type string `json:"type"`
		Data struct {
			ReferenceID string `json:"reference_id"`
			Status      string `json:"status"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &ev) == nil && ev.Data.ReferenceID != "" {
		rc.statuses = append(rc.statuses, acceptedStatus{ref: ev.Data.ReferenceID, typ: ev.Type, status: ev.Data.Status})
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify is the specification's check: a timestamp within 5 minutes, and
// one of the v1 signatures equal in constant time to the HMAC-SHA256 of
// id.timestamp.body.
func (rc *Receiver) verify(id, ts, header string, body []byte) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" || len(rc.key) == 0 || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, rc.key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(header) {
		version, value, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// Outbound is what a drill found of outbound webhooks. Lost, OutOfOrder,
// BadSignatures and Changed must be 0.
type Outbound struct {
	Events        int // committed for the drill's payouts
	Accepted      int
	Refused       int // first attempts the receiver refused on purpose
	Duplicates    int // deliveries of an event accepted already (at least once)
	BadSignatures int // must be 0
	Changed       int // a webhook-id sent again with another body; must be 0
	Lost          int // must be 0
	OutOfOrder    int // must be 0
	Examples      []string
}

// OK reports whether every must-be-zero figure is zero.
func (o Outbound) OK() bool {
	return o.BadSignatures == 0 && o.Changed == 0 && o.Lost == 0 && o.OutOfOrder == 0
}

// CommittedEvent is an outbound event payops committed for a payout.
type CommittedEvent struct {
	WebhookID string
	Ref       string
	Type      string
}

// Figures compares what payops committed (events, oldest first, and each
// payout's status now) with what the receiver accepted. An event is lost
// when it was committed and never accepted, or when a payout's status was
// never told: no payout.created accepted, or the last payout event accepted
// not in the payout's status now (QUEUED has no event of its own).
func (rc *Receiver) Figures(events []CommittedEvent, statuses map[string]string) Outbound {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	o := Outbound{Events: len(events), Accepted: len(rc.accepted), Refused: rc.refused, Duplicates: rc.dups,
		BadSignatures: rc.bad, Changed: rc.changed}
	lost := func(format string, args ...any) {
		o.Lost++
		if len(o.Examples) < 5 {
			o.Examples = append(o.Examples, fmt.Sprintf(format, args...))
		}
	}
	last := map[string]int{}
	for _, ev := range events {
		at, ok := rc.accepted[ev.WebhookID]
		if !ok {
			lost("%s %s (%s) committed, never accepted", ev.Ref, ev.Type, ev.WebhookID)
			continue
		}
		if prev, seen := last[ev.Ref]; seen && at < prev {
			o.OutOfOrder++
		}
		last[ev.Ref] = at
	}
	told, created := map[string]string{}, map[string]bool{}
	for _, s := range rc.statuses {
		if strings.HasPrefix(s.typ, "payout.") {
			told[s.ref] = s.status
		}
		created[s.ref] = created[s.ref] || s.typ == "payout.created"
	}
	for ref, status := range statuses {
		switch {
		case !created[ref]:
			lost("%s: no payout.created accepted", ref)
		case status != "QUEUED" && told[ref] != status:
			lost("%s is %s; the platform was last told %q", ref, status, told[ref])
		}
	}
	return o
}

// Write prints the figures.
func (o Outbound) Write(w io.Writer) {
	fmt.Fprintf(w, "  outbound webhooks: %d events, %d accepted, %d refused on purpose, %d duplicates\n",
		o.Events, o.Accepted, o.Refused, o.Duplicates)
	fmt.Fprintf(w, "  events lost:              %d (must be 0)\n", o.Lost)
	fmt.Fprintf(w, "  events out of order:      %d (must be 0)\n", o.OutOfOrder)
	fmt.Fprintf(w, "  bad signatures:           %d (must be 0)\n", o.BadSignatures)
	fmt.Fprintf(w, "  webhook-ids reused:       %d (must be 0)\n", o.Changed)
	for _, e := range o.Examples {
		fmt.Fprintf(w, "    %s\n", e)
	}
}
