-- +goose Up
-- The chat webhooks told a condition started (the SHA-256 of each URL, in
-- hex: the URL is a secret), so a webhook added while the condition lasts
-- is told it started at the notify job's next run rather than only at its
-- next reminder, or, for a kind with none, never. A condition active at the
-- upgrade was told its kind's webhooks of now, when it was told at all.
ALTER TABLE notify_conditions ADD COLUMN told_chat TEXT[] NOT NULL DEFAULT '{}';
UPDATE notify_conditions c SET told_chat = coalesce((
		SELECT array_agg(encode(sha256(convert_to(u, 'UTF8')), 'hex'))
		FROM notify_channels ch, unnest(ch.chat_urls) AS u WHERE ch.kind = c.kind), '{}')
	WHERE active_since IS NOT NULL AND last_notice_at IS NOT NULL;

-- +goose Down
ALTER TABLE notify_conditions DROP COLUMN told_chat;
