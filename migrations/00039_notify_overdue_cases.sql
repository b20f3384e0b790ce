-- +goose Up
-- Exception cases past their SLA or escalated are told to their owner, as
-- holds are: every 4 hours while it lasts.
INSERT INTO notify_channels (kind, reminder_minutes, threshold_count, threshold_minutes)
VALUES ('case_overdue', 240, 1, 0) ON CONFLICT (kind) DO NOTHING;

-- +goose Down
DELETE FROM notify_channels WHERE kind = 'case_overdue';
