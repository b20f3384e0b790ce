package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// findKind is one kind of identifier the search box takes, measured on its
// own: the values searched are drawn from the seeded data.
type findKind struct {
	key, label string
	// sample selects (text, ref) pairs from a TABLESAMPLE of about %[1]g
	// per cent: the text searched and, for an identifier of one payout,
	// the reference the search must redirect to ("" when it lists).
	sample string
}

// The kinds, in the order the report lists them.
var findKinds = []findKind{
	{"ref", "our reference", `SELECT reference_id, reference_id FROM payouts TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6)`},
	{"ppid", "provider payout id", `SELECT provider_payout_id, reference_id FROM payouts TABLESAMPLE BERNOULLI (%[1]g)
		REPEATABLE (6) WHERE provider_payout_id IS NOT NULL`},
	{"utr", "UTR", `SELECT utr, reference_id FROM payouts TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6) WHERE utr <> ''`},
	{"event", "webhook event id", `SELECT e.event_id, p.reference_id FROM webhook_events e TABLESAMPLE BERNOULLI (%[1]g)
		REPEATABLE (6) JOIN payouts p ON p.id = e.payout_id`},
	{"rzp", "X-Razorpay-Event-Id", `SELECT d.headers->>'X-Razorpay-Event-Id', p.reference_id
		FROM webhook_deliveries d TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6) JOIN payouts p ON p.id = d.payout_id
		WHERE d.headers ? 'X-Razorpay-Event-Id' AND d.outcome = 'applied'`},
	{"name", "beneficiary's name", `SELECT lower(b.name), '' FROM payouts p TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6)
		JOIN beneficiaries b ON b.id = p.beneficiary_id`},
	{"last4", "last four digits", `SELECT b.account_last4, '' FROM payouts p TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6)
		JOIN beneficiaries b ON b.id = p.beneficiary_id`},
	// Only INR, PHP (two decimals) and IDR (none) are seeded.
	{"amount", "amount", `SELECT CASE currency WHEN 'IDR' THEN amount_minor::text
		ELSE (amount_minor / 100)::text || '.' || lpad((amount_minor %% 100)::text, 2, '0') END, ''
		FROM payouts TABLESAMPLE BERNOULLI (%[1]g) REPEATABLE (6)`},
}

// probe is one search: the text, and the reference it must redirect to
// ("" when the search lists).
type probe struct{ text, ref string }

// probes returns the searched values of each kind, about 2,000 of each at
// most, in a random order of their own.
func probes(ctx context.Context, db *sqlx.DB, n int) (map[string][]probe, error) {
	pct := min(100, 200_000/float64(n))
	out := map[string][]probe{}
	for _, k := range findKinds {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(k.sample, pct))
		if err != nil {
			return nil, fmt.Errorf("values to search by %s: %w", k.label, err)
		}
		for rows.Next() {
			var p probe
			if err := rows.Scan(&p.text, &p.ref); err != nil {
				rows.Close()
				return nil, err
			}
			out[k.key] = append(out[k.key], p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(out[k.key]) == 0 {
			return nil, fmt.Errorf("no values to search by %s", k.label)
		}
		rand.Shuffle(len(out[k.key]), func(i, j int) { out[k.key][i], out[k.key][j] = out[k.key][j], out[k.key][i] })
	}
	return out, nil
}

// pageTarget is what a page measurement gets: a URL drawn at random for
// each request, and the status it must answer.
type pageTarget struct {
	url  func(*rand.Rand) string
	want int
	// overDeadline takes serve's 503 at its page deadline (15 s) as an
	// answer too, timed as it came: a page measured without its index
	// may take longer than serve lets it.
	overDeadline bool
}

func searchTarget(base string, ps []probe) pageTarget {
	want := http.StatusOK
	if ps[0].ref != "" {
		want = http.StatusSeeOther
	}
	return pageTarget{want: want, url: func(rnd *rand.Rand) string {
		return base + "/payouts?q=" + url.QueryEscape(ps[rnd.IntN(len(ps))].text)
	}}
}

// findDays is how far back payouts were created; listDays the range a
// list filters on.
const (
	findDays = 180
	listDays = 7
)

// listTarget is the list filtered by a status, a provider and seven
// business days (UTC, serve's default), all drawn at random: the states
// and providers ops filter on and any week of the seeded half year.
func listTarget(base string) pageTarget {
	statuses := []string{"FAILED", "SUCCEEDED", "REVERSED", "CANCELLED", "PROCESSING"}
	providers := []string{"razorpayx", "nxtbanking", "paywize", "xendit", "sandbox"}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	return pageTarget{want: http.StatusOK, url: func(rnd *rand.Rand) string {
		from := today.AddDate(0, 0, -rnd.IntN(findDays-listDays)-listDays+1)
		v := url.Values{"status": {statuses[rnd.IntN(len(statuses))]}, "provider": {providers[rnd.IntN(len(providers))]},
			"created_from": {from.Format(time.DateOnly)}, "created_to": {from.AddDate(0, 0, listDays-1).Format(time.DateOnly)}}
		return base + "/payouts?" + v.Encode()
	}}
}

// byUpdatedTarget is the whole list, last changed first.
func byUpdatedTarget(base string) pageTarget {
	return pageTarget{want: http.StatusOK, url: func(*rand.Rand) string { return base + "/payouts?sort=updated" }}
}

// getTarget gets t's pages from conc workers for warm+dur, each read to its
// end, and measures those answered in the last dur; an answer other than
// t.want is an error.
func getTarget(ctx context.Context, client *http.Client, t pageTarget, conc int, warm, dur time.Duration) (window, error) {
	var bad string
	w, failed := hammer(ctx, conc, warm, dur, func(rnd *rand.Rand) (string, bool) {
		u := t.url(rnd)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ok := resp.StatusCode == t.want || t.overDeadline && resp.StatusCode == http.StatusServiceUnavailable
		if !ok {
			bad = fmt.Sprintf("GET %s answered %d, want %d", u, resp.StatusCode, t.want)
		}
		return "", ok
	})
	if failed > 0 {
		return w, fmt.Errorf("%d of the requests failed (%s)", failed, bad)
	}
	return w, nil
}

var countRE = regexp.MustCompile(`id="payouts-count">([^<]*)<`)

// checkSearches searches a few values of each kind once: an identifier must
// go to its payout, the rest must list at least one. It returns, for the
// report, what the listing searches found, as the page counts them.
func checkSearches(client *http.Client, base string, ps map[string][]probe) (map[string][]string, error) {
	found := map[string][]string{}
	for _, k := range findKinds {
		for _, p := range ps[k.key][:min(5, len(ps[k.key]))] {
			resp, err := client.Get(base + "/payouts?q=" + url.QueryEscape(p.text))
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			if p.ref != "" {
				if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/payouts/"+url.PathEscape(p.ref) {
					return nil, fmt.Errorf("search by %s %q: %d to %q, want 303 to payout %s", k.label, p.text, resp.StatusCode, loc, p.ref)
				}
				continue
			}
			m := countRE.FindSubmatch(b)
			if resp.StatusCode != http.StatusOK || m == nil || strings.HasPrefix(string(m[1]), "0 ") {
				return nil, fmt.Errorf("search by %s %q: %d, want 200 listing payouts", k.label, p.text, resp.StatusCode)
			}
			found[k.key] = append(found[k.key], fmt.Sprintf("%q: %s", p.text, m[1]))
		}
	}
	return found, nil
}

// findServe starts serve on the database with jobs off, adds an ops user
// named by who and signs it in through the form, with a client for conc
// connections.
func findServe(ctx context.Context, c config, dsn, who string, conc int) (*payops, *http.Client, error) {
	p, err := serve(ctx, c.bin, dsn, filepath.Join(c.work, "serve-find-"+who+".log"), map[string]string{"PAYOPS_JOBS": "off"})
	if err != nil {
		return nil, nil, err
	}
	email, password := who+"@bench.example", "bench-ops-password"
	if err := p.addUser(email, "ops", password); err != nil {
		p.stop()
		return nil, nil, err
	}
	client, err := p.login(email, password, conc)
	if err != nil {
		p.stop()
		return nil, nil, err
	}
	return p, client, nil
}
