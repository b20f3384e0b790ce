package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
)

// hooks collects the webhooks a sandbox sends: status and whether the
// signature verifies, by reference.
type hooks struct {
	mu     sync.Mutex
	got    map[string][]string
	bodies map[string][]string // the signed bodies, by reference
	late   time.Duration       // the most a signed body's timestamp was behind its arrival
	srv    *httptest.Server
	seen   int
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{got: map[string][]string{}, bodies: map[string][]string{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev struct {
			Ref       string    `json:"reference_id"`
			Status    string    `json:"status"`
			Timestamp time.Time `json:"timestamp"`
		}
		json.Unmarshal(b, &ev)
		mark := ev.Status
		signed := nxtbanking.Verify([]byte("whsec"), b, r.Header.Get("X-NxtB-Signature"))
		if !signed {
			mark = "forged:" + mark
		}
		h.mu.Lock()
		h.got[ev.Ref] = append(h.got[ev.Ref], mark)
		if signed {
			h.bodies[ev.Ref] = append(h.bodies[ev.Ref], string(b))
			h.late = max(h.late, time.Since(ev.Timestamp))
		}
		h.seen++
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func chaosSandbox(t *testing.T, h *hooks, c sandbox.Chaos) (*sandbox.Server, string, string) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Seed: seed, APIKey: "k", APISecret: "s", WebhookURL: h.srv.URL, WebhookSecret: "whsec",
		SettleAfter: 20 * time.Millisecond, Chaos: &c})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL, token(t, srv.URL)
}

func create(t *testing.T, base, tok, ref string) (int, map[string]any) {
	t.Helper()
	return call(t, "POST", base+"/api/v1/payouts", tok, `{"beneficiary_id":"ben_1","amount":100,"mode":"IMPS","reference_id":"`+ref+`"}`)
}

// Each kind of misbehaviour, alone at 100%, does what it says, and the
// truth is what the API answers.
func TestChaos(t *testing.T) {
	refs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("CH-%03d", i)
		}
		return out
	}
	t.Run("drop", func(t *testing.T) {
		h := newHooks(t)
		sb, base, tok := chaosSandbox(t, h, sandbox.Chaos{DropWebhooks: 100})
		for _, r := range refs(20) {
			create(t, base, tok, r)
		}
		sb.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.seen != 0 || sb.Counts().Dropped == 0 || sb.Counts().Created != 20 {
			t.Errorf("%d webhooks arrived; counts %+v", h.seen, sb.Counts())
		}
	})
	t.Run("duplicate, reorder, forge, replay", func(t *testing.T) {
		h := newHooks(t)
		sb, base, tok := chaosSandbox(t, h, sandbox.Chaos{DuplicateWebhooks: 100, ReorderWebhooks: true, ForgeWebhooks: 100, ReplayWebhooks: 100})
		for _, r := range refs(20) {
			create(t, base, tok, r)
		}
		sb.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		truth := sb.Truth(time.Now())
		for _, r := range refs(20) {
			got, fate := h.got[r], truth[r].Status
			if fate == "PROCESSING" { // stuck: no webhook at all
				if len(got) != 0 {
					t.Errorf("%s stuck but sent %v", r, got)
				}
				continue
			}
			n := map[string]int{}
			for _, g := range got {
				n[g]++
			}
			// Each state duplicated, the first (PROCESSING) replayed too,
			// and one forged FAILED. (Arrival order is the network's.)
			if n["forged:FAILED"] != 1 || n["PROCESSING"] < 3 || n[fate] < 2 {
				t.Errorf("%s (%s): %v", r, fate, got)
			}
		}
		c := sb.Counts()
		if c.Duplicated == 0 || c.Forged == 0 || c.Replayed == 0 {
			t.Errorf("counts %+v", c)
		}
		// This receiver answers 200 to everything: every forged webhook was
		// taken in, and the sandbox says so (a drill's must-be-zero figure).
		if c.ForgedAccepted != c.Forged {
			t.Errorf("forged accepted %d of %d, want all: the receiver answered 200 to each", c.ForgedAccepted, c.Forged)
		}
	})
	t.Run("a webhook carries its send time; duplicates and replays are its body again", func(t *testing.T) {
		h := newHooks(t)
		sb, base, tok := chaosSandbox(t, h, sandbox.Chaos{DuplicateWebhooks: 100, ReplayWebhooks: 100,
			DelayWebhooks: 100 * time.Millisecond})
		for _, r := range refs(20) {
			create(t, base, tok, r)
		}
		sb.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.late > time.Second {
			t.Errorf("a webhook arrived %s after the time in its body", h.late)
		}
		for _, r := range refs(20) {
			bodies := h.bodies[r]
			if len(bodies) == 0 {
				continue // stuck: no webhook
			}
			copies := map[string]int{}
			for _, b := range bodies {
				copies[b]++
			}
			// PROCESSING and the final state, each sent several times as
			// one body; the replay is the PROCESSING body once more.
			if got, want := len(copies), 2; got != want {
				t.Errorf("%s: %d different bodies in %d webhooks, want %d", r, got, len(bodies), want)
			}
		}
	})
	t.Run("underpay: the amount stated a tenth smaller, in answers and webhooks alike", func(t *testing.T) {
		h := newHooks(t)
		sb, base, tok := chaosSandbox(t, h, sandbox.Chaos{Underpay: 50})
		answered := map[string]any{}
		for _, r := range refs(20) {
			_, res := create(t, base, tok, r)
			answered[r] = res["amount"]
		}
		sb.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		under := 0
		for r, tr := range sb.Truth(time.Now()) {
			want := "100"
			if tr.Underpaid {
				want, under = "90.00", under+1
			}
			if got := fmt.Sprint(answered[r]); got != strings.TrimSuffix(want, ".00") {
				t.Errorf("%s (underpaid %v): the answer states %s, want %s", r, tr.Underpaid, got, want)
			}
			for _, b := range h.bodies[r] {
				var ev struct {
					Amount json.Number `json:"amount"`
				}
				d := json.NewDecoder(strings.NewReader(b))
				d.UseNumber()
				d.Decode(&ev)
				if string(ev.Amount) != want {
					t.Errorf("%s (underpaid %v): a webhook states %s, want %s", r, tr.Underpaid, ev.Amount, want)
				}
			}
		}
		if under == 0 || under == 20 {
			t.Errorf("%d of 20 underpaid at 50%%", under)
		}
	})
	t.Run("API errors and timeouts", func(t *testing.T) {
		h := newHooks(t)
		sb, base, tok := chaosSandbox(t, h, sandbox.Chaos{APIErrors: 100})
		if code, _ := create(t, base, tok, "CH-ERR"); code != 500 && code != 429 {
			t.Errorf("create under API errors: %d", code)
		}
		if _, ok := sb.Truth(time.Now())["CH-ERR"]; ok {
			t.Error("a failed call created the payout")
		}
		sb2, base2, tok2 := chaosSandbox(t, h, sandbox.Chaos{APITimeouts: 100})
		client := &http.Client{Timeout: 200 * time.Millisecond}
		req, _ := http.NewRequest("POST", base2+"/api/v1/payouts", nil)
		req.Body = io.NopCloser(jsonBody(`{"beneficiary_id":"ben_1","amount":100,"reference_id":"CH-TO"}`))
		req.Header.Set("Authorization", "Bearer "+tok2)
		if _, err := client.Do(req); err == nil {
			t.Error("a timed-out call answered")
		}
		if _, ok := sb2.Truth(time.Now())["CH-TO"]; !ok {
			t.Error("a timed-out create did not create the payout")
		}
	})
	t.Run("insufficient funds and late reversals", func(t *testing.T) {
		h := newHooks(t)
		_, base, tok := chaosSandbox(t, h, sandbox.Chaos{InsufficientFunds: 100})
		if code, res := create(t, base, tok, "CH-FUNDS"); code != 422 || res["error"] == nil {
			t.Errorf("create without funds: %d %v", code, res)
		}
		sb2, base2, tok2 := chaosSandbox(t, h, sandbox.Chaos{ReverseAfter: 200 * time.Millisecond})
		var rev string
		for i := 0; rev == ""; i++ {
			if r := fmt.Sprintf("CH-REV-%d", i); sandbox.FateOf(seed, sandbox.PayoutIDFor(r)) == sandbox.Reversal {
				rev = r
			}
		}
		create(t, base2, tok2, rev)
		time.Sleep(60 * time.Millisecond)
		if st := sb2.Truth(time.Now())[rev].Status; st != "SUCCESS" {
			t.Errorf("before the reversal: %s", st)
		}
		sb2.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		if st := sb2.Truth(time.Now())[rev].Status; st != "REVERSED" {
			t.Errorf("after the reversal: %s", st)
		}
		// PROCESSING and SUCCESS are sent moments apart, each on a timer of
		// its own, and may arrive either way round on a loaded machine
		// (providers' do too); the reversal comes 200 ms later, last.
		if got := h.got[rev]; len(got) != 3 || !slices.Contains(got[:2], "PROCESSING") || !slices.Contains(got[:2], "SUCCESS") ||
			got[2] != "REVERSED" {
			t.Errorf("webhooks of a late reversal: %v", got)
		}
	})
}

func jsonBody(s string) io.Reader { return strings.NewReader(s) }
