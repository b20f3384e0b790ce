package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// CallStat is one instance's count of a provider's calls of one operation
// and outcome within one minute. The operation "webhook" counts webhook
// deliveries received, by outcome (applied, rejected, ...), not calls.
type CallStat struct {
	Provider   string
	Minute     time.Time // truncated to the minute
	Operation  string
	ErrorClass string // adapters.ClassOK ("none"), a Kind, or a webhook outcome
	Calls      int64
	TotalMS    int64
	MaxMS      int64
}

// WebhookOperation is the operation CallStats count webhook deliveries under.
const WebhookOperation = "webhook"

// AddCallStats adds counts to the per-minute totals in one statement,
// whatever their number: each instance flushes what it counted every few
// seconds, so several instances add up.
func (s *Store) AddCallStats(ctx context.Context, stats []CallStat) error {
	if len(stats) == 0 {
		return nil
	}
	n := len(stats)
	prov, op, class := make([]string, n), make([]string, n), make([]string, n)
	minute := make([]time.Time, n)
	calls, total, most := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, c := range stats {
		prov[i], op[i], class[i], minute[i] = c.Provider, c.Operation, c.ErrorClass, c.Minute.UTC().Truncate(time.Minute)
		calls[i], total[i], most[i] = c.Calls, c.TotalMS, c.MaxMS
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provider_call_stats AS cs (provider, minute, operation, error_class, calls, total_ms, max_ms)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (provider, minute, operation, error_class) DO UPDATE SET calls = cs.calls + excluded.calls,
			total_ms = cs.total_ms + excluded.total_ms, max_ms = greatest(cs.max_ms, excluded.max_ms)`,
		pq.StringArray(prov), pq.Array(minute), pq.StringArray(op), pq.StringArray(class),
		pq.Int64Array(calls), pq.Int64Array(total), pq.Int64Array(most))
	if err != nil {
		return fmt.Errorf("store: add call stats: %w", err)
	}
	return nil
}

// PruneCallStats deletes the per-minute counts older than before and
// returns how many rows went.
func (s *Store) PruneCallStats(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM provider_call_stats WHERE minute < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune call stats: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ClassCount is how many calls ended in one error class.
type ClassCount struct {
	Class string
	Calls int64
}

// ProviderHealth is one provider's figures for the providers page.
type ProviderHealth struct {
	Provider string
	// Calls in the last hour: all, answered 2xx, failed transiently, and
	// their mean and slowest latency.
	Calls, OK, Transient int64
	MeanMS, MaxMS        int64
	// Recent: the last 15 minutes, which the state is judged by.
	RecentCalls, RecentTransient int64
	Classes                      []ClassCount // the last 24 hours' failures by class, most first
	LastWebhook                  *time.Time   // the minute the last delivery arrived (last 3 days)
	Webhooks24h, Rejected24h     int64
	ConsecutiveFailures          int
	BreakerRetryAt               *time.Time
	ProbeUntil                   *time.Time
	LastFailure                  string
	Balance                      *payout.Money
	BalanceAt                    *time.Time
	BalanceError                 string
	BalanceErrorAt               *time.Time
	// DailyOutflow is the average a day of the last 7 days' succeeded
	// payouts, in the balance's currency (or the provider's largest).
	DailyOutflow *payout.Money
}

// ProvidersHealth returns the figures of the named providers and of every
// other provider with counts or state, sorted by name, as of now.
func (s *Store) ProvidersHealth(ctx context.Context, names []string, now time.Time) ([]ProviderHealth, error) {
	by := map[string]*ProviderHealth{}
	get := func(p string) *ProviderHealth {
		if h, ok := by[p]; ok {
			return h
		}
		h := &ProviderHealth{Provider: p}
		by[p] = h
		return h
	}
	for _, n := range names {
		get(n)
	}
	var stats []struct {
		Provider string    `db:"provider"`
		Minute   time.Time `db:"minute"`
		Op       string    `db:"operation"`
		Class    string    `db:"error_class"`
		Calls    int64     `db:"calls"`
		TotalMS  int64     `db:"total_ms"`
		MaxMS    int64     `db:"max_ms"`
	}
	if err := s.db.SelectContext(ctx, &stats, `SELECT provider, minute, operation, error_class, calls, total_ms, max_ms
		FROM provider_call_stats WHERE minute >= $1`, now.Add(-72*time.Hour)); err != nil {
		return nil, fmt.Errorf("store: provider call stats: %w", err)
	}
	classes := map[string]map[string]int64{}
	total := map[string]int64{}
	for _, c := range stats {
		h := get(c.Provider)
		age := now.Sub(c.Minute)
		if c.Op == WebhookOperation {
			if h.LastWebhook == nil || c.Minute.After(*h.LastWebhook) {
				m := c.Minute
				h.LastWebhook = &m
			}
			if age <= 24*time.Hour {
				h.Webhooks24h += c.Calls
				if c.Class == OutcomeRejected {
					h.Rejected24h += c.Calls
				}
			}
			continue
		}
		transient := c.Class == "transient"
		if age <= 24*time.Hour && c.Class != "none" {
			if classes[c.Provider] == nil {
				classes[c.Provider] = map[string]int64{}
			}
			classes[c.Provider][c.Class] += c.Calls
		}
		if age <= time.Hour {
			h.Calls += c.Calls
			total[c.Provider] += c.TotalMS
			h.MaxMS = max(h.MaxMS, c.MaxMS)
			if c.Class == "none" {
				h.OK += c.Calls
			}
			if transient {
				h.Transient += c.Calls
			}
		}
		if age <= 15*time.Minute {
			h.RecentCalls += c.Calls
			if transient {
				h.RecentTransient += c.Calls
			}
		}
	}
	for p, h := range by {
		if h.Calls > 0 {
			h.MeanMS = total[p] / h.Calls
		}
		for class, n := range classes[p] {
			h.Classes = append(h.Classes, ClassCount{Class: class, Calls: n})
		}
		sortClasses(h.Classes)
	}
	if err := s.providerStates(ctx, get); err != nil {
		return nil, err
	}
	if err := s.dailyOutflows(ctx, now, by); err != nil {
		return nil, err
	}
	out := make([]ProviderHealth, 0, len(by))
	for _, h := range by {
		out = append(out, *h)
	}
	sortHealth(out)
	return out, nil
}

func (s *Store) providerStates(ctx context.Context, get func(string) *ProviderHealth) error {
	var rows []struct {
		Provider       string     `db:"provider"`
		Failures       int        `db:"consecutive_failures"`
		RetryAt        *time.Time `db:"breaker_retry_at"`
		ProbeUntil     *time.Time `db:"probe_until"`
		LastFailure    string     `db:"last_failure"`
		BalanceMinor   *int64     `db:"balance_minor"`
		BalanceCur     *string    `db:"balance_currency"`
		BalanceAt      *time.Time `db:"balance_at"`
		BalanceError   string     `db:"balance_error"`
		BalanceErrorAt *time.Time `db:"balance_error_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT provider, consecutive_failures, breaker_retry_at, probe_until,
		last_failure, balance_minor, balance_currency, balance_at, balance_error, balance_error_at FROM provider_state`); err != nil {
		return fmt.Errorf("store: provider state: %w", err)
	}
	for _, r := range rows {
		h := get(r.Provider)
		h.ConsecutiveFailures, h.BreakerRetryAt, h.ProbeUntil, h.LastFailure = r.Failures, r.RetryAt, r.ProbeUntil, r.LastFailure
		if r.BalanceMinor != nil && r.BalanceCur != nil {
			h.Balance = &payout.Money{Minor: *r.BalanceMinor, Currency: *r.BalanceCur}
			h.BalanceAt = r.BalanceAt
		}
		h.BalanceError, h.BalanceErrorAt = r.BalanceError, r.BalanceErrorAt
	}
	return nil
}

// dailyOutflows sets each provider's average daily outflow: its succeeded
// payouts of the last 7 days (along payouts_succeeded_by_updated: a payout
// settled in the window changed in it), over 7.
func (s *Store) dailyOutflows(ctx context.Context, now time.Time, by map[string]*ProviderHealth) error {
	since := now.Add(-7 * 24 * time.Hour)
	var rows []struct {
		Provider string `db:"provider"`
		Currency string `db:"currency"`
		Sum      int64  `db:"sum"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT provider, currency, sum(amount_minor)::bigint AS sum FROM payouts
		WHERE status = 'SUCCEEDED' AND updated_at >= $1 AND settled_at >= $1
		GROUP BY provider, currency ORDER BY provider, sum DESC`, since); err != nil {
		return fmt.Errorf("store: daily outflows: %w", err)
	}
	for _, r := range rows {
		h, ok := by[r.Provider]
		if !ok {
			continue
		}
		// The balance's currency when there is one; else the largest.
		if h.DailyOutflow == nil || (h.Balance != nil && r.Currency == h.Balance.Currency) {
			h.DailyOutflow = &payout.Money{Minor: r.Sum / 7, Currency: r.Currency}
		}
	}
	return nil
}

// LowBalance is a provider whose last balance is under BalanceLowFactor
// times its average daily outflow.
type LowBalance struct {
	Provider     string
	Balance      payout.Money
	At           time.Time
	DailyOutflow payout.Money
}

// LowBalances returns the providers whose last balance read is low by
// payout.BalanceLow, as of now.
func (s *Store) LowBalances(ctx context.Context, now time.Time) ([]LowBalance, error) {
	by := map[string]*ProviderHealth{}
	get := func(p string) *ProviderHealth {
		if h, ok := by[p]; ok {
			return h
		}
		h := &ProviderHealth{Provider: p}
		by[p] = h
		return h
	}
	if err := s.providerStates(ctx, get); err != nil {
		return nil, err
	}
	if err := s.dailyOutflows(ctx, now, by); err != nil {
		return nil, err
	}
	var out []LowBalance
	for _, h := range by {
		// A test provider's balance moves no money: nobody is told of it.
		if payout.IsTestProvider(h.Provider) {
			continue
		}
		if h.Balance != nil && h.DailyOutflow != nil && h.BalanceAt != nil && payout.BalanceLow(*h.Balance, *h.DailyOutflow) {
			out = append(out, LowBalance{Provider: h.Provider, Balance: *h.Balance, At: *h.BalanceAt, DailyOutflow: *h.DailyOutflow})
		}
	}
	sortLow(out)
	return out, nil
}

func sortClasses(c []ClassCount) {
	slices.SortFunc(c, func(a, b ClassCount) int { return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Class, b.Class)) })
}

func sortHealth(h []ProviderHealth) {
	slices.SortFunc(h, func(a, b ProviderHealth) int { return cmp.Compare(a.Provider, b.Provider) })
}

func sortLow(l []LowBalance) {
	slices.SortFunc(l, func(a, b LowBalance) int { return cmp.Compare(a.Provider, b.Provider) })
}
