package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sync"
	"time"

	"payops/payout"
)

// apiClient calls payops' platform API as a platform would: retrying with
// the same body until payops answers.
type apiClient struct {
	base, token string
	market      string // of the drill's payouts
	http        *http.Client
}

type apiPayout struct {
	Status string     `json:"status"`
	UTR    *string    `json:"utr"`
	Holds  []apiHold  `json:"holds"`
	Ledger []apiEntry `json:"ledger"`
}

type apiHold struct {
	Reason string `json:"reason"`
	State  string `json:"state"`
}

type apiEntry struct {
	Posting   int64  `json:"posting"`
	Kind      string `json:"kind"`
	Direction string `json:"direction"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
}

// do sends one request, retrying while payops is unreachable, answers 5xx
// (it may be restarting) or 429 (the token's rate): the intake is
// idempotent on reference_id.
func (c *apiClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.http.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				return resp.StatusCode, b, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// createAll sends the payouts, eight at a time, to the drill's market; some
// are held by the gates only if the drill's amounts cross them, which they
// do not. They are test payouts, so a read-only market does not hold them.
func (c *apiClient) createAll(ctx context.Context, refs []string, done func(int)) error {
	var mu sync.Mutex
	var firstErr error
	n := 0
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range work {
				body, _ := json.Marshal(map[string]any{
					"reference_id": ref, "provider": payout.DrillProvider, "amount": amountFor(ref).Decimal(), "currency": "INR",
					"mode": "IMPS", "narration": "Failure drill", "market": c.market, "metadata": map[string]string{"drill": "true"},
					"beneficiary": map[string]string{"name": "Drill Beneficiary", "account_number": "123456789012",
						"ifsc": "HDFC0001234", "tax_artifact": "present"},
				})
				code, b, err := c.do(ctx, "POST", "/api/v1/payouts", body)
				mu.Lock()
				if err == nil && code != http.StatusAccepted {
					err = fmt.Errorf("creating %s: %d %s", ref, code, b)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				n++
				done(n)
				mu.Unlock()
			}
		}()
	}
	for _, ref := range refs {
		if ctx.Err() != nil {
			break
		}
		work <- ref
	}
	close(work)
	wg.Wait()
	return firstErr
}

// amountFor is the amount the drill sends payout ref: 100.00 to 149.99
// rupees, differing between payouts, so that a posting of the wrong size or
// made against another payout shows.
func amountFor(ref string) payout.Money {
	h := fnv.New32a()
	h.Write([]byte(ref))
	n := int64(h.Sum32())
	return payout.Money{Minor: 10_000 + n%5_000, Currency: "INR"}
}

func (c *apiClient) payout(ctx context.Context, ref string) (apiPayout, error) {
	code, b, err := c.do(ctx, "GET", "/api/v1/payouts/"+ref, nil)
	if err != nil {
		return apiPayout{}, err
	}
	if code != http.StatusOK {
		return apiPayout{}, fmt.Errorf("reading %s: %d %s", ref, code, b)
	}
	var p apiPayout
	if err := json.Unmarshal(b, &p); err != nil {
		return apiPayout{}, fmt.Errorf("reading %s: %w", ref, err)
	}
	return p, nil
}

// ledger counts postings made twice (one kind twice for one payout) and
// currencies whose debits and credits differ, over the drill's payouts.
func (c *apiClient) ledger(ctx context.Context, refs []string) (dups, unbalanced int, err error) {
	balance := map[string]int64{}
	for _, ref := range refs {
		p, err := c.payout(ctx, ref)
		if err != nil {
			return 0, 0, err
		}
		kinds := map[string]int64{}
		for _, e := range p.Ledger {
			if first, seen := kinds[e.Kind]; seen && first != e.Posting {
				dups++
			}
			kinds[e.Kind] = e.Posting
			m, err := payout.ParseMoney(e.Amount, e.Currency)
			if err != nil {
				return 0, 0, fmt.Errorf("ledger of %s: %w", ref, err)
			}
			if e.Direction == "debit" {
				balance[e.Currency] += m.Minor
			} else {
				balance[e.Currency] -= m.Minor
			}
		}
	}
	for _, v := range balance {
		if v != 0 {
			unbalanced++
		}
	}
	return dups, unbalanced, nil
}
