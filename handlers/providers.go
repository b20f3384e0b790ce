package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"payops/payout"
	"payops/store"
	"payops/views"
)

// ProviderHealthStore is what the providers page reads.
type ProviderHealthStore interface {
	ProvidersHealth(ctx context.Context, names []string, now time.Time) ([]store.ProviderHealth, error)
	Pauses(ctx context.Context) ([]store.Pause, error)
}

// DeliveryCounters tells each of its counters of every delivery.
type DeliveryCounters []DeliveryCounter

// Delivered passes the delivery on to each counter.
func (c DeliveryCounters) Delivered(provider, outcome string) {
	for _, d := range c {
		d.Delivered(provider, outcome)
	}
}

// ProvidersPage shows each provider's health: its calls' success and
// latency, failures by class, webhooks, pauses and balance.
func (h *Handlers) ProvidersPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now()
	health, err := h.Store.ProvidersHealth(ctx, h.Providers.Names(), now)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	pauses, err := h.Store.Pauses(ctx)
	if err != nil {
		Fail(w, r, h.Log, err)
		return
	}
	vm := views.Providers{Meta: MetaFor(r, "Providers", "providers"),
		Window: "Calls, success and latency are of the last hour, counted by every instance; failures and webhooks of the last 24 hours."}
	for _, ph := range health {
		_, balances := h.Providers.Balancer(ph.Provider)
		vm.Rows = append(vm.Rows, providerRow(ph, pauses, balances, now))
	}
	Render(w, r, http.StatusOK, views.ProvidersPage(vm), nil)
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func providerRow(ph store.ProviderHealth, pauses []store.Pause, balances bool, now time.Time) views.ProviderRow {
	row := views.ProviderRow{Name: ph.Provider, Calls: thousands(ph.Calls) + " in the last hour", Success: "—", Latency: "—"}
	in := payout.HealthInput{Calls: int(ph.RecentCalls), Transient: int(ph.RecentTransient), InARow: ph.ConsecutiveFailures}
	for _, p := range pauses {
		if p.Provider != ph.Provider {
			continue
		}
		row.Pauses = append(row.Pauses, p.Reason()+".")
		switch {
		case p.Kind == "breaker":
			in.BreakerOpen = true
		case p.Mode == "":
			in.PausedAllModes = true
		default:
			in.PausedModes++
		}
	}
	if ph.BreakerRetryAt != nil && !ph.BreakerRetryAt.After(now) {
		in.BreakerOpen, in.Probing = true, true
	}
	row.State = string(payout.StateOf(in))
	row.StateWhy = stateWhy(payout.HealthState(row.State), ph, now)
	if ph.Calls > 0 {
		row.Success = fmt.Sprintf("%.1f%% answered (%s of %s)", 100*float64(ph.OK)/float64(ph.Calls), thousands(ph.OK), thousands(ph.Calls))
		row.Latency = "mean " + span(time.Duration(ph.MeanMS)*time.Millisecond) + " · slowest " +
			span(time.Duration(ph.MaxMS)*time.Millisecond)
	}
	var failures []string
	for _, c := range ph.Classes {
		failures = append(failures, fmt.Sprintf("%s %s", strings.ReplaceAll(c.Class, "_", " "), thousands(c.Calls)))
	}
	row.Failures = "none"
	if len(failures) > 0 {
		row.Failures = strings.Join(failures, " · ")
	}
	switch {
	case ph.BreakerRetryAt == nil && ph.ConsecutiveFailures == 0:
		row.Breaker = "closed"
	case ph.BreakerRetryAt == nil:
		row.Breaker = fmt.Sprintf("closed; %d transient failure%s in a row", ph.ConsecutiveFailures, plural(ph.ConsecutiveFailures))
	case ph.BreakerRetryAt.After(now):
		row.Breaker = "open: one payout is tried again in " + span(ph.BreakerRetryAt.Sub(now).Truncate(time.Second))
	default:
		row.Breaker = "half-open: one payout at a time is sent to see whether it is back"
	}
	row.Webhook = agoPtr(now, ph.LastWebhook)
	if ph.LastWebhook == nil {
		row.Webhook = "none in the last 3 days"
	} else {
		row.Webhooks = thousands(ph.Webhooks24h) + " in 24 h"
	}
	if ph.Rejected24h > 0 {
		row.Rejected = thousands(ph.Rejected24h) + " refused for their signature or age"
	}
	balanceOf(&row, ph, balances, now)
	return row
}

func balanceOf(row *views.ProviderRow, ph store.ProviderHealth, balances bool, now time.Time) {
	if ph.Balance == nil {
		switch {
		case !balances:
			row.BalanceMsg = "Not read: payops knows no balance call for this provider (its API documents none). " +
				"Check the balance in the provider's dashboard before large batches."
		case ph.BalanceError != "":
			row.BalanceMsg = "Not read yet: " + ph.BalanceError + " (" + agoPtr(now, ph.BalanceErrorAt) + ")."
		default:
			row.BalanceMsg = "Not read yet: it is read before each submission batch and every few minutes."
		}
		return
	}
	row.HasBalance = true
	row.Balance = ph.Balance.String()
	row.BalanceAt = "read " + agoPtr(now, ph.BalanceAt)
	if ph.DailyOutflow != nil {
		row.Outflow = ph.DailyOutflow.String() + " paid out a day on average over the last 7 days"
		row.BalanceLow = payout.BalanceLow(*ph.Balance, *ph.DailyOutflow)
		if row.BalanceLow {
			row.BalanceMsg = fmt.Sprintf(" Under %d days of payouts: fund the account. Payouts larger than the balance "+
				"are held for funding.", payout.BalanceLowFactor)
		}
	} else {
		row.BalanceMsg = " No payouts succeeded in the last 7 days to compare it with."
	}
	if ph.BalanceError != "" && ph.BalanceErrorAt != nil && ph.BalanceAt != nil && ph.BalanceErrorAt.After(*ph.BalanceAt) {
		row.BalanceMsg += " The last read failed: " + ph.BalanceError + "."
	}
}

func stateWhy(s payout.HealthState, ph store.ProviderHealth, now time.Time) string {
	switch s {
	case payout.HealthIdle:
		return "No calls in the last 15 minutes: the figures fill in once payops sends or re-checks a payout here."
	case payout.HealthDown:
		if ph.RecentCalls > ph.RecentTransient {
			return fmt.Sprintf("The last %d sends failed one after another (timeouts, 429 or 5xx); %d of %d calls of the "+
				"last 15 minutes did.", ph.ConsecutiveFailures, ph.RecentTransient, ph.RecentCalls)
		}
		return fmt.Sprintf("All %d calls of the last 15 minutes failed (timeouts, 429 or 5xx).", ph.RecentCalls)
	case payout.HealthDegraded:
		if ph.RecentCalls > 0 && ph.RecentTransient > 0 {
			return fmt.Sprintf("%d of %d calls of the last 15 minutes failed transiently.", ph.RecentTransient, ph.RecentCalls)
		}
		if ph.BreakerRetryAt != nil && (ph.ProbeUntil == nil || !ph.ProbeUntil.After(now)) {
			return "The breaker has cooled down: the next payout sent here is the probe (one at a time), and none has gone yet."
		}
		return "Partly paused or being probed; see below."
	case payout.HealthPaused:
		return "payops sends this provider nothing now; its queued payouts wait and nothing is lost."
	}
	return fmt.Sprintf("%d calls in the last 15 minutes, %d failed transiently.", ph.RecentCalls, ph.RecentTransient)
}
