package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// NotifyChannel is how people are told of one kind of condition.
type NotifyChannel struct {
	Kind             payout.ConditionKind `db:"kind"`
	Email            bool                 `db:"email"`
	ChatURLs         pq.StringArray       `db:"chat_urls"` // secrets: pages mask them
	ReminderMinutes  int                  `db:"reminder_minutes"`
	ThresholdCount   int                  `db:"threshold_count"`
	ThresholdMinutes int                  `db:"threshold_minutes"`
	UpdatedBy        string               `db:"updated_by"`
	UpdatedAt        time.Time            `db:"updated_at"`
}

// Reminder returns how often a lasting condition is told again; 0 for never.
func (c NotifyChannel) Reminder() time.Duration {
	return time.Duration(c.ReminderMinutes) * time.Minute
}

const notifyChannelColumns = `kind, email, chat_urls, reminder_minutes, threshold_count, threshold_minutes, updated_by,
	updated_at`

// NotifyChannels returns the channels of every kind of condition, keyed by
// kind; a kind with no row (one added after migration 00028) gets email on
// and no reminder.
func (s *Store) NotifyChannels(ctx context.Context) (map[payout.ConditionKind]NotifyChannel, error) {
	var rows []NotifyChannel
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+notifyChannelColumns+` FROM notify_channels`); err != nil {
		return nil, fmt.Errorf("store: notify channels: %w", err)
	}
	out := map[payout.ConditionKind]NotifyChannel{}
	for _, k := range payout.ConditionKinds {
		out[k] = NotifyChannel{Kind: k, Email: true, ThresholdCount: 1}
	}
	for _, r := range rows {
		out[r.Kind] = r
	}
	return out, nil
}

// UpdateNotifyChannel sets a kind's channels, reminder and thresholds,
// audited as notify.configure (the chat URLs are secrets: the audit says
// how many, never which).
func (s *Store) UpdateNotifyChannel(ctx context.Context, c NotifyChannel, by Actor) error {
	return s.WithTx(ctx, func(q Querier) error {
		_, err := q.ExecContext(ctx, `
			INSERT INTO notify_channels (kind, email, chat_urls, reminder_minutes, threshold_count, threshold_minutes,
				updated_by, updated_at)
			VALUES ($1, $2, coalesce($3::text[], '{}'), $4, $5, $6, $7, now())
			ON CONFLICT (kind) DO UPDATE SET email = $2, chat_urls = coalesce($3::text[], '{}'), reminder_minutes = $4, threshold_count = $5,
				threshold_minutes = $6, updated_by = $7, updated_at = now()`,
			c.Kind, c.Email, c.ChatURLs, c.ReminderMinutes, c.ThresholdCount, c.ThresholdMinutes, by.Name)
		if err != nil {
			return fmt.Errorf("store: notify channel %s: %w", c.Kind, err)
		}
		// A chat webhook taken out of the settings is not posted to again:
		// its notices still waiting are given up, saying why.
		if _, err := q.ExecContext(ctx, `UPDATE notifications SET state = 'abandoned',
				error = 'its chat webhook was removed from the settings'
			WHERE kind = $1 AND channel = 'chat' AND state IN ('pending', 'failed')
				AND NOT recipient = ANY(coalesce($2::text[], '{}'))`, c.Kind, c.ChatURLs); err != nil {
			return fmt.Errorf("store: notices to removed chat webhooks of %s: %w", c.Kind, err)
		}
		// ...and no longer counts as told: added back, it is told again.
		keys := pq.StringArray(payout.ChatKeys(c.ChatURLs))
		if _, err := q.ExecContext(ctx, `UPDATE notify_conditions
			SET told_chat = ARRAY(SELECT t FROM unnest(told_chat) AS t WHERE t = ANY($2::text[]))
			WHERE kind = $1 AND NOT told_chat <@ $2::text[]`, c.Kind, keys); err != nil {
			return fmt.Errorf("store: chat webhooks told of %s: %w", c.Kind, err)
		}
		return audit(ctx, q, by.Name, "notify.configure", "notify", string(c.Kind), map[string]any{
			"email": c.Email, "chat_webhooks": len(c.ChatURLs), "reminder_minutes": c.ReminderMinutes,
			"threshold_count": c.ThresholdCount, "threshold_minutes": c.ThresholdMinutes})
	})
}

// Condition is a condition's state as the notify job left it.
type Condition struct {
	Key          string               `db:"key"`
	Kind         payout.ConditionKind `db:"kind"`
	Subject      string               `db:"subject"`
	ActiveSince  *time.Time           `db:"active_since"`
	LastNoticeAt *time.Time           `db:"last_notice_at"`
	ClearedAt    *time.Time           `db:"cleared_at"`
	ToldUserIDs  pq.Int64Array        `db:"told_user_ids"`
	// ToldChat are the chat webhooks told it started (payout.ChatKey of
	// each URL).
	ToldChat pq.StringArray `db:"told_chat"`
}

// State returns the condition's state for payout.DecideNotice.
func (c Condition) State() payout.ConditionState {
	return payout.ConditionState{ActiveSince: c.ActiveSince, LastNoticeAt: c.LastNoticeAt}
}

// Conditions returns the state of the conditions named by keys and of every
// condition active now, keyed by key.
func (s *Store) Conditions(ctx context.Context, keys []string) (map[string]Condition, error) {
	var rows []Condition
	err := s.db.SelectContext(ctx, &rows, `
		SELECT key, kind, subject, active_since, last_notice_at, cleared_at, told_user_ids, told_chat FROM notify_conditions
		WHERE active_since IS NOT NULL
		UNION
		SELECT key, kind, subject, active_since, last_notice_at, cleared_at, told_user_ids, told_chat FROM notify_conditions
		WHERE key = ANY($1)`, pq.StringArray(keys))
	if err != nil {
		return nil, fmt.Errorf("store: notify conditions: %w", err)
	}
	out := make(map[string]Condition, len(rows))
	for _, r := range rows {
		out[r.Key] = r
	}
	return out, nil
}

// SaveConditions writes conditions' new states and the notices decided for
// them in one transaction: a notice is never lost for a state that moved
// on, and a state never moves on for a notice not written.
func (s *Store) SaveConditions(ctx context.Context, changed []Condition, notices []NewNotice) error {
	return s.WithTx(ctx, func(q Querier) error {
		for _, c := range changed {
			_, err := q.ExecContext(ctx, `
				INSERT INTO notify_conditions (key, kind, subject, active_since, last_notice_at, cleared_at, told_user_ids,
					told_chat)
				VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::bigint[], '{}'), coalesce($8::text[], '{}'))
				ON CONFLICT (key) DO UPDATE SET kind = $2, subject = $3, active_since = $4, last_notice_at = $5,
					cleared_at = $6, told_user_ids = coalesce($7::bigint[], '{}'), told_chat = coalesce($8::text[], '{}')`,
				c.Key, c.Kind, c.Subject, c.ActiveSince, c.LastNoticeAt, c.ClearedAt, c.ToldUserIDs, c.ToldChat)
			if err != nil {
				return fmt.Errorf("store: notify condition %s: %w", c.Key, err)
			}
		}
		return QueueNotices(ctx, q, notices)
	})
}
