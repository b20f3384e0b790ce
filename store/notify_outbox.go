package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// The channels a notice goes by.
const (
	ChannelEmail = "email"
	ChannelChat  = "chat"
)

// NewNotice is one notice to one recipient by one channel, to be sent by
// the notify job.
type NewNotice struct {
	ConditionKey string
	Kind         payout.ConditionKind
	Notice       payout.Notice // or "test"
	Channel      string        // ChannelEmail or ChannelChat
	UserID       *int64        // the user told by email
	Recipient    string        // the email address, or the chat webhook URL
	Subject      string
	Body         string
}

// QueueNotices writes notices as pending, inside q: another package tells
// people in the transaction of the change that calls for it (the outbound
// webhook job disabling an endpoint), and the notify job sends them at its
// next run. Nothing is written for no notices.
func QueueNotices(ctx context.Context, q Querier, notices []NewNotice) error {
	for _, n := range notices {
		_, err := q.ExecContext(ctx, `
			INSERT INTO notifications (condition_key, kind, notice, channel, user_id, recipient, subject, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			n.ConditionKey, n.Kind, n.Notice, n.Channel, n.UserID, n.Recipient, n.Subject, n.Body)
		if err != nil {
			return fmt.Errorf("store: queue notice %s: %w", n.ConditionKey, err)
		}
	}
	return nil
}

// QueueNotice writes notices outside any transaction (a settings page's
// "send a test") and returns the id of the first.
func (s *Store) QueueNotice(ctx context.Context, n NewNotice) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `
		INSERT INTO notifications (condition_key, kind, notice, channel, user_id, recipient, subject, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		n.ConditionKey, n.Kind, n.Notice, n.Channel, n.UserID, n.Recipient, n.Subject, n.Body)
	if err != nil {
		return 0, fmt.Errorf("store: queue notice %s: %w", n.ConditionKey, err)
	}
	return id, nil
}

// Notification is one notice as the log shows it.
type Notification struct {
	ID           int64                `db:"id"`
	ConditionKey string               `db:"condition_key"`
	Kind         payout.ConditionKind `db:"kind"`
	Notice       string               `db:"notice"`
	Channel      string               `db:"channel"`
	UserID       *int64               `db:"user_id"`
	Recipient    string               `db:"recipient"`
	Subject      string               `db:"subject"`
	Body         string               `db:"body"`
	State        string               `db:"state"`
	Attempts     int                  `db:"attempts"`
	Error        string               `db:"error"`
	CreatedAt    time.Time            `db:"created_at"`
	SentAt       *time.Time           `db:"sent_at"`
	LastTriedAt  *time.Time           `db:"last_tried_at"`
}

const notificationColumns = `id, condition_key, kind, notice, channel, user_id, recipient, subject, body, state,
	attempts, error, created_at, sent_at, last_tried_at`

// ClaimNotices claims up to limit notices pending or failed for lease and
// returns them, oldest first, at most half of them for one destination (the
// mail server, or one chat webhook): a destination that is down, its
// notices piling up, leaves room for the others' — chat while the mail
// server is down. A notice another run has claimed is passed over until its
// lease ends: two instances running the notify job at once (one whose job
// lock a database failover cut, and the one that took the lock) do not send
// one notice twice. MarkNotice and ReleaseNotices end a claim; a run that
// dies leaves its notices to a run after the lease.
func (s *Store) ClaimNotices(ctx context.Context, limit int, lease time.Duration) ([]Notification, error) {
	var out []Notification
	err := s.db.SelectContext(ctx, &out, `WITH due AS (
			SELECT id FROM (
				SELECT n.id, row_number() OVER (PARTITION BY CASE WHEN channel = '`+ChannelChat+`' THEN recipient ELSE '' END
					ORDER BY id) AS nth
				FROM notifications n WHERE state IN ('pending', 'failed') AND `+unclaimed+`) d
			WHERE nth <= greatest($1 / 2, 1) ORDER BY id LIMIT $1),
		claimed AS (
			-- A run claiming beside this one waits for the row and, once it
			-- is claimed, passes it over (unclaimed is checked again).
			UPDATE notifications n SET claimed_until = now() + $2 * interval '1 millisecond'
			FROM due WHERE n.id = due.id AND `+unclaimed+` RETURNING n.*)
		SELECT `+notificationColumns+` FROM claimed ORDER BY id`, limit, lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("store: claim notices to send: %w", err)
	}
	return out, nil
}

// unclaimed is the condition of a notice no run holds (ClaimNotices).
const unclaimed = `(claimed_until IS NULL OR claimed_until < now())`

// ReleaseNotices ends the claims on notices a run did not try (their
// destination down, the run cancelled), so the next run tries them.
func (s *Store) ReleaseNotices(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE notifications SET claimed_until = NULL WHERE id = ANY($1)`,
		pq.Array(ids)); err != nil {
		return fmt.Errorf("store: release %d notices: %w", len(ids), err)
	}
	return nil
}

// MarkNotice records one try of notice id at at: sent when sendErr is nil,
// failed with its message otherwise, and abandoned once it has failed
// maxAttempts times.
func (s *Store) MarkNotice(ctx context.Context, id int64, at time.Time, sendErr error, maxAttempts int) error {
	var err error
	if sendErr == nil {
		_, err = s.db.ExecContext(ctx, `UPDATE notifications SET state = 'sent', sent_at = $2, last_tried_at = $2,
			attempts = attempts + 1, error = '', claimed_until = NULL WHERE id = $1`, id, at)
	} else {
		// A notice abandoned while it was being tried (its chat webhook
		// taken out of the settings) stays abandoned, with its reason.
		_, err = s.db.ExecContext(ctx, `UPDATE notifications SET
			state = CASE WHEN attempts + 1 >= $4 OR state = 'abandoned' THEN 'abandoned' ELSE 'failed' END,
			last_tried_at = $2, attempts = attempts + 1,
			error = CASE WHEN state = 'abandoned' THEN error ELSE $3 END, claimed_until = NULL
			WHERE id = $1`, id, at, sendErr.Error(), maxAttempts)
	}
	if err != nil {
		return fmt.Errorf("store: mark notice %d: %w", id, err)
	}
	return nil
}

// Notifications returns one page of the notifications log, newest first,
// and how many there are.
func (s *Store) Notifications(ctx context.Context, limit, offset int) ([]Notification, int, error) {
	var total int
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) FROM notifications`); err != nil {
		return nil, 0, fmt.Errorf("store: count notifications: %w", err)
	}
	var out []Notification
	err := s.db.SelectContext(ctx, &out, `SELECT `+notificationColumns+` FROM notifications
		ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: notifications: %w", err)
	}
	return out, total, nil
}

// Recipient is a user a notice goes to by email.
type Recipient struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
}

// Recipients returns the users who can sign in among ids, and those with
// one of roles.
func (s *Store) Recipients(ctx context.Context, ids []int64, roles []payout.Role) ([]Recipient, error) {
	return recipients(ctx, s.db, ids, roles)
}

func recipients(ctx context.Context, q Querier, ids []int64, roles []payout.Role) ([]Recipient, error) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	var out []Recipient
	err := q.SelectContext(ctx, &out, `SELECT id, email, name FROM users
		WHERE disabled_at IS NULL AND (id = ANY($1) OR role = ANY($2)) ORDER BY id`, pq.Array(ids), pq.Array(names))
	if err != nil {
		return nil, fmt.Errorf("store: notice recipients: %w", err)
	}
	return out, nil
}

// OneOff is a notice sent once, outside any condition's edges: another part
// of payops telling people of something it did (the outbound webhook job
// disabling an endpoint tells its owner and the admins).
type OneOff struct {
	Kind    payout.ConditionKind // whose channels it goes by: email when on, and its chat webhooks
	Key     string               // what it is about, for the log: "endpoint_disabled:7"
	Subject string
	Body    string
	UserIDs []int64       // people it names
	Roles   []payout.Role // and every user of these roles
}

// NotifyOnce queues a one-off notice inside q, to the users it names and of
// its roles who can sign in (by email, when the kind's email is on) and to
// the kind's chat webhooks; the notify job sends them within a minute. Run
// it in the transaction of the change it tells of, and a rolled-back change
// tells no one. It returns how many notices it queued.
func NotifyOnce(ctx context.Context, q Querier, o OneOff) (int, error) {
	var ch struct {
		Email    bool           `db:"email"`
		ChatURLs pq.StringArray `db:"chat_urls"`
	}
	ch.Email = true // a kind with no settings yet: email on, no chat
	err := q.GetContext(ctx, &ch, `SELECT email, chat_urls FROM notify_channels WHERE kind = $1`, o.Kind)
	if err != nil && !errors.Is(err, errNoRows) {
		return 0, fmt.Errorf("store: notify %s: %w", o.Key, err)
	}
	var notices []NewNotice
	base := NewNotice{ConditionKey: o.Key, Kind: o.Kind, Notice: payout.NoticeOneOff, Subject: o.Subject, Body: o.Body}
	if ch.Email {
		to, err := recipients(ctx, q, o.UserIDs, o.Roles)
		if err != nil {
			return 0, err
		}
		for _, r := range to {
			n, id := base, r.ID
			n.Channel, n.UserID, n.Recipient = ChannelEmail, &id, r.Email
			notices = append(notices, n)
		}
	}
	for _, u := range ch.ChatURLs {
		n := base
		n.Channel, n.Recipient = ChannelChat, u
		notices = append(notices, n)
	}
	return len(notices), QueueNotices(ctx, q, notices)
}

// PruneNotifications deletes the notices sent or abandoned before before,
// and the conditions that cleared before it (a condition seen again later
// starts afresh either way); it returns how many rows went.
func (s *Store) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notifications WHERE created_at < $1 AND state IN ('sent', 'abandoned')`,
		before)
	if err != nil {
		return 0, fmt.Errorf("store: prune notifications: %w", err)
	}
	notices, _ := res.RowsAffected()
	res, err = s.db.ExecContext(ctx, `DELETE FROM notify_conditions WHERE active_since IS NULL AND cleared_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune notify conditions: %w", err)
	}
	conditions, _ := res.RowsAffected()
	return int(notices + conditions), nil
}

// NoticeBacklog is what of the notices is not sent, for metrics and
// alerts: the notices waiting to be sent (never tried, or failed and to be
// tried again) by channel, when the oldest of them was written, and the
// notices given up on in the last day.
type NoticeBacklog struct {
	Unsent    map[string]int // by channel, every channel present
	Oldest    *time.Time     // nil when none waits
	Abandoned int            // given up on (abandoned) among those written in the last 24 hours
}

// NoticeBacklog reads the notices' backlog: the waiting ones through their
// partial index (few, while the notify job keeps up), the abandoned ones
// among the last day's (newest first by their index).
func (s *Store) NoticeBacklog(ctx context.Context) (NoticeBacklog, error) {
	var rows []struct {
		Channel string     `db:"channel"`
		N       int        `db:"n"`
		Oldest  *time.Time `db:"oldest"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT channel, count(*) AS n, min(created_at) AS oldest
		FROM notifications WHERE state IN ('pending', 'failed') GROUP BY channel`)
	if err != nil {
		return NoticeBacklog{}, fmt.Errorf("store: notice backlog: %w", err)
	}
	b := NoticeBacklog{Unsent: map[string]int{ChannelEmail: 0, ChannelChat: 0}}
	for _, r := range rows {
		b.Unsent[r.Channel] = r.N
		if r.Oldest != nil && (b.Oldest == nil || r.Oldest.Before(*b.Oldest)) {
			b.Oldest = r.Oldest
		}
	}
	err = s.db.GetContext(ctx, &b.Abandoned, `SELECT count(*) FROM notifications
		WHERE created_at > now() - interval '24 hours' AND state = 'abandoned'`)
	if err != nil {
		return NoticeBacklog{}, fmt.Errorf("store: abandoned notices: %w", err)
	}
	return b, nil
}
