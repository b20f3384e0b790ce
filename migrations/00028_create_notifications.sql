-- +goose Up
-- +goose StatementBegin
-- Per kind of condition (payout.ConditionKinds), how people are told:
-- email to the users it names, chat webhooks (Slack-compatible JSON), how
-- often a lasting condition is told again, and its thresholds.
CREATE TABLE notify_channels (
    kind             TEXT PRIMARY KEY,
    email            BOOLEAN NOT NULL DEFAULT true,
    chat_urls        TEXT[] NOT NULL DEFAULT '{}',
    reminder_minutes INTEGER NOT NULL DEFAULT 240 CHECK (reminder_minutes BETWEEN 0 AND 10080),
    -- stuck: this many payouts of a provider stuck at least threshold_minutes;
    -- webhook_rejections: more than this many within threshold_minutes.
    threshold_count   INTEGER NOT NULL DEFAULT 1 CHECK (threshold_count >= 1),
    threshold_minutes INTEGER NOT NULL DEFAULT 0 CHECK (threshold_minutes BETWEEN 0 AND 10080),
    updated_by       TEXT NOT NULL DEFAULT 'migration',
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO notify_channels (kind, reminder_minutes, threshold_count, threshold_minutes) VALUES
    ('hold_overdue', 240, 1, 0),
    ('stuck', 60, 10, 30),
    ('dayend_differences', 1440, 1, 0),
    ('drill_failed', 0, 1, 0),
    ('webhook_rejections', 60, 20, 5);

-- Each condition's state between runs of the notify job: a condition is a
-- key (hold_overdue:42, stuck:xendit), never one event.
CREATE TABLE notify_conditions (
    key            TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    active_since   TIMESTAMPTZ,
    last_notice_at TIMESTAMPTZ,
    cleared_at     TIMESTAMPTZ,
    -- The users told it started, so people it comes to name later (an
    -- escalation owner) are told too.
    told_user_ids  BIGINT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX notify_conditions_active ON notify_conditions (kind) WHERE active_since IS NOT NULL;

-- Every notice, one row per recipient and channel: the log page and the
-- outbox at once. A notice is written pending in the transaction that
-- decides it and sent after; a failed one is tried again at the next run.
CREATE TABLE notifications (
    id            BIGSERIAL PRIMARY KEY,
    condition_key TEXT NOT NULL,
    kind          TEXT NOT NULL,
    notice        TEXT NOT NULL CHECK (notice IN ('started', 'reminder', 'cleared', 'one-off', 'test')),
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'chat')),
    user_id       BIGINT REFERENCES users (id),
    recipient     TEXT NOT NULL,  -- the email address, or the chat webhook URL (a secret: pages mask it)
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'abandoned')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at       TIMESTAMPTZ,
    last_tried_at TIMESTAMPTZ
);
CREATE INDEX notifications_newest ON notifications (created_at DESC, id DESC);
CREATE INDEX notifications_to_send ON notifications (id) WHERE state IN ('pending', 'failed');
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE notifications;
DROP TABLE notify_conditions;
DROP TABLE notify_channels;
-- +goose StatementEnd
