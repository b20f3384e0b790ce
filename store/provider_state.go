package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"payops/payout"
)

// Breaker is the circuit breaker's setting: after Threshold transient
// submission failures in a row a provider is paused for Cooldown, then
// probed with one payout at a time until one gets an answer.
type Breaker struct {
	Threshold int           // 5 when zero
	Cooldown  time.Duration // 1 min when zero
}

// DefaultBreaker is the breaker's setting when none is given.
var DefaultBreaker = Breaker{Threshold: 5, Cooldown: time.Minute}

func (b Breaker) orDefault() Breaker {
	if b.Threshold <= 0 {
		b.Threshold = DefaultBreaker.Threshold
	}
	if b.Cooldown <= 0 {
		b.Cooldown = DefaultBreaker.Cooldown
	}
	return b
}

// RecordProviderOutcome feeds a submission's outcome to provider's breaker:
// a transient failure (timeout, 429, 5xx) counts one more in a row and, at
// the threshold or when it was the probe, opens the breaker for the
// cooldown; any answer from the provider (a success, or a refusal of the
// payout itself) closes it. A success on a closed breaker with no failures
// counted writes nothing.
func (s *Store) RecordProviderOutcome(ctx context.Context, provider string, transient bool, detail string, b Breaker) error {
	b = b.orDefault()
	if !transient {
		_, err := s.db.ExecContext(ctx, `UPDATE provider_state SET consecutive_failures = 0, breaker_opened_at = NULL,
			breaker_retry_at = NULL, probe_until = NULL, updated_at = now()
			WHERE provider = $1 AND (consecutive_failures > 0 OR breaker_retry_at IS NOT NULL)`, provider)
		if err != nil {
			return fmt.Errorf("store: provider %s outcome: %w", provider, err)
		}
		return nil
	}
	// Opens at the threshold, or again at once when the failure was the
	// probe's (half-open: the retry time has passed).
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provider_state AS ps (provider, consecutive_failures, last_failure, last_failure_at,
			breaker_opened_at, breaker_retry_at)
		VALUES ($1, 1, $2, now(), CASE WHEN $3 <= 1 THEN now() END,
			CASE WHEN $3 <= 1 THEN now() + $4 * interval '1 second' END)
		ON CONFLICT (provider) DO UPDATE SET
			consecutive_failures = ps.consecutive_failures + 1, last_failure = $2, last_failure_at = now(),
			breaker_opened_at = CASE WHEN ps.consecutive_failures + 1 >= $3 OR ps.breaker_retry_at IS NOT NULL
				THEN coalesce(ps.breaker_opened_at, now()) END,
			breaker_retry_at = CASE WHEN ps.consecutive_failures + 1 >= $3 OR ps.breaker_retry_at IS NOT NULL
				THEN now() + $4 * interval '1 second' END,
			probe_until = NULL, updated_at = now()`, provider, clip(detail, 500), b.Threshold, b.Cooldown.Seconds())
	if err != nil {
		return fmt.Errorf("store: provider %s failure: %w", provider, err)
	}
	return nil
}

// takeProbe decides, inside a claim, whether a payout of provider may be
// sent now: yes with the breaker closed; with it open, only once its retry
// time has passed and no other probe is out, and then this payout is the
// probe (its lease is the probe's).
func takeProbe(ctx context.Context, q Querier, provider string, lease time.Duration) (bool, error) {
	var st struct {
		RetryAt    *time.Time `db:"breaker_retry_at"`
		ProbeUntil *time.Time `db:"probe_until"`
		Now        time.Time  `db:"now"`
	}
	err := q.GetContext(ctx, &st, `SELECT breaker_retry_at, probe_until, now() AS now FROM provider_state
		WHERE provider = $1 FOR UPDATE`, provider)
	if err != nil {
		if mapErr(err) == ErrNotFound {
			return true, nil
		}
		return false, fmt.Errorf("store: provider %s breaker: %w", provider, err)
	}
	switch {
	case st.RetryAt == nil:
		return true, nil
	case st.RetryAt.After(st.Now), st.ProbeUntil != nil && st.ProbeUntil.After(st.Now):
		return false, nil
	}
	if _, err := q.ExecContext(ctx, `UPDATE provider_state SET probe_until = now() + $2 * interval '1 second'
		WHERE provider = $1`, provider, lease.Seconds()); err != nil {
		return false, fmt.Errorf("store: provider %s probe: %w", provider, err)
	}
	return true, nil
}

// ReleaseProbe ends provider's probe without an answer (the probe payout
// was held before it was sent), so the next payout may probe at once.
func (s *Store) ReleaseProbe(ctx context.Context, provider string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE provider_state SET probe_until = NULL
		WHERE provider = $1 AND probe_until IS NOT NULL`, provider); err != nil {
		return fmt.Errorf("store: provider %s probe: %w", provider, err)
	}
	return nil
}

// notPausedSQL is the claim's condition that a payout's provider is not
// paused: no open downtime for its mode, no open breaker before its retry
// time or with a probe out. payouts must be aliased p.
const notPausedSQL = `
	AND NOT EXISTS (SELECT 1 FROM provider_downtimes d WHERE d.provider = p.provider AND d.resolved_at IS NULL
		AND d.pause_until > now() AND (d.mode = '' OR d.mode = upper(p.mode)))
	AND NOT EXISTS (SELECT 1 FROM provider_state ps WHERE ps.provider = p.provider AND ps.breaker_retry_at IS NOT NULL
		AND (ps.breaker_retry_at > now() OR ps.probe_until > now()))`

// anyPausedSQL is true when some provider is paused now (the same
// conditions as notPausedSQL, for any payout): a cheap test that spares
// reading payouts for their pauses when there are none.
const anyPausedSQL = `EXISTS (SELECT 1 FROM provider_downtimes WHERE resolved_at IS NULL AND pause_until > now())
	OR EXISTS (SELECT 1 FROM provider_state WHERE breaker_retry_at IS NOT NULL
		AND (breaker_retry_at > now() OR probe_until > now()))`

// Downtime is a provider's downtime notice as the webhook endpoint hands it
// over.
type Downtime struct {
	Provider string
	ID       string // the provider's; "" when it gives none
	Resolved bool
	Mode     string    // "" for every mode
	Detail   string    // the provider's words
	At       time.Time // when it began or was resolved; now when zero
	// EventID is the delivery's event id (or its body's hash): the start
	// that opened a downtime, sent again, does not open it again.
	EventID string
}

// RecordDowntime records a downtime notice: a start pauses the provider's
// payouts of the mode until it is resolved or maxPause has passed; a
// resolution ends the pause of that downtime (by the provider's id, or
// every open one of the mode when it gives none). Recording the same
// notice again changes nothing (a start by its EventID, after its
// resolution), and a start older than the resolution of the same downtime
// does not open it again.
func (s *Store) RecordDowntime(ctx context.Context, d Downtime, maxPause time.Duration) error {
	at := d.At
	if at.IsZero() {
		at = time.Now()
	}
	mode := strings.ToUpper(strings.TrimSpace(d.Mode))
	if d.Resolved {
		res, err := s.db.ExecContext(ctx, `UPDATE provider_downtimes SET resolved_at = $4
			WHERE provider = $1 AND resolved_at IS NULL AND ($2 = '' OR downtime_id = $2) AND ($2 <> '' OR $3 = '' OR mode = $3)`,
			d.Provider, d.ID, mode, at)
		if err != nil {
			return fmt.Errorf("store: resolve downtime of %s: %w", d.Provider, err)
		}
		if n, _ := res.RowsAffected(); n > 0 || d.ID == "" {
			return nil
		}
		// Resolved before its start arrived (events come out of order): kept
		// resolved, so the late start does not pause anything.
		_, err = s.db.ExecContext(ctx, `INSERT INTO provider_downtimes (provider, downtime_id, mode, detail, started_at,
			pause_until, resolved_at) VALUES ($1, $2, $3, $4, $5, $5, $5) ON CONFLICT DO NOTHING`,
			d.Provider, d.ID, mode, clip(d.Detail, 500), at)
		if err != nil {
			return fmt.Errorf("store: resolve downtime of %s: %w", d.Provider, err)
		}
		return nil
	}
	// A resolved downtime opens again on a later start, unless it is the
	// start that opened it, replayed: one without a time of its own is
	// dated now, later than any resolution.
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provider_downtimes AS pd (provider, downtime_id, mode, detail, started_at, pause_until, start_event_id)
		VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second', $7)
		ON CONFLICT (provider, downtime_id, mode) DO UPDATE SET started_at = excluded.started_at,
			pause_until = excluded.pause_until, detail = excluded.detail, resolved_at = NULL,
			start_event_id = excluded.start_event_id
		WHERE pd.resolved_at IS NOT NULL AND pd.resolved_at < excluded.started_at
			AND (excluded.start_event_id = '' OR pd.start_event_id <> excluded.start_event_id)`,
		d.Provider, d.ID, mode, clip(d.Detail, 500), at, maxPause.Seconds(), d.EventID)
	if err != nil {
		return fmt.Errorf("store: downtime of %s: %w", d.Provider, err)
	}
	return nil
}

// Pause is why a provider's payouts are not being sent now.
type Pause struct {
	Provider string
	Mode     string // "" for every mode
	Kind     string // "downtime" or "breaker"
	Since    time.Time
	Until    time.Time // when sending may start again at the latest (a probe, or the downtime's maximum)
	Detail   string
}

// Reason words the pause for a payout's page and the stuck list.
func (p Pause) Reason() string {
	switch p.Kind {
	case "breaker":
		return fmt.Sprintf("Sending to %s is paused: its circuit breaker opened after failures in a row (%s); "+
			"one payout is tried again from %s", p.Provider, p.Detail, p.Until.UTC().Format("15:04 UTC"))
	}
	what := "every mode"
	if p.Mode != "" {
		what = p.Mode
	}
	s := fmt.Sprintf("Sending to %s is paused for %s: it reported a downtime at %s", p.Provider, what,
		p.Since.UTC().Format("2006-01-02 15:04 UTC"))
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s + fmt.Sprintf("; sending resumes when it is resolved, or at %s at the latest", p.Until.UTC().Format("2006-01-02 15:04 UTC"))
}

// Applies says whether the pause holds back a payout of provider in mode.
func (p Pause) Applies(provider, mode string) bool {
	return p.Provider == provider && (p.Mode == "" || strings.EqualFold(p.Mode, mode))
}

// Pauses returns every pause in force now: open downtimes before their
// maximum, and breakers open (before their retry time, or with a probe out).
func (s *Store) Pauses(ctx context.Context) ([]Pause, error) {
	var rows []struct {
		Provider string    `db:"provider"`
		Mode     string    `db:"mode"`
		Kind     string    `db:"kind"`
		Since    time.Time `db:"since"`
		Until    time.Time `db:"until"`
		Detail   string    `db:"detail"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT provider, mode, 'downtime' AS kind, started_at AS since, pause_until AS until, detail
		FROM provider_downtimes WHERE resolved_at IS NULL AND pause_until > now()
		UNION ALL
		SELECT provider, '', 'breaker', coalesce(breaker_opened_at, now()), breaker_retry_at, last_failure
		FROM provider_state WHERE breaker_retry_at IS NOT NULL AND (breaker_retry_at > now() OR probe_until > now())
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: pauses: %w", err)
	}
	out := make([]Pause, len(rows))
	for i, r := range rows {
		out[i] = Pause{Provider: r.Provider, Mode: r.Mode, Kind: r.Kind, Since: r.Since, Until: r.Until, Detail: r.Detail}
	}
	return out, nil
}

// PauseFor returns the pause holding back a payout of provider in mode,
// and whether there is one.
func PauseFor(pauses []Pause, provider, mode string) (Pause, bool) {
	for _, p := range pauses {
		if p.Applies(provider, mode) {
			return p, true
		}
	}
	return Pause{}, false
}

// RecordBalance keeps the balance read from provider at at.
func (s *Store) RecordBalance(ctx context.Context, provider string, bal payout.Money, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provider_state (provider, balance_minor, balance_currency, balance_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (provider) DO UPDATE SET balance_minor = $2, balance_currency = $3, balance_at = $4,
			balance_error = '', updated_at = now()`, provider, bal.Minor, bal.Currency, at)
	if err != nil {
		return fmt.Errorf("store: balance of %s: %w", provider, err)
	}
	return nil
}

// RecordBalanceError keeps why the balance could not be read at at; the
// last balance read stays.
func (s *Store) RecordBalanceError(ctx context.Context, provider, detail string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO provider_state (provider, balance_error, balance_error_at) VALUES ($1, $2, $3)
		ON CONFLICT (provider) DO UPDATE SET balance_error = $2, balance_error_at = $3, updated_at = now()`,
		provider, clip(detail, 500), at)
	if err != nil {
		return fmt.Errorf("store: balance error of %s: %w", provider, err)
	}
	return nil
}

// clip cuts s to at most n bytes, on a character's boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
