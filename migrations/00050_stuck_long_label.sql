-- +goose Up
-- The long-stuck limit is a setting now (PAYOPS_STUCK_LONG_AFTER, 24h by
-- default): the kind's name no longer states it, and it covers a payout
-- still QUEUED at the provider as well as PROCESSING.
UPDATE exception_kinds SET label = 'Sent, unsettled too long' WHERE kind = 'stuck_long' AND label = 'Unsettled past 24 hours';

-- +goose Down
UPDATE exception_kinds SET label = 'Unsettled past 24 hours' WHERE kind = 'stuck_long' AND label = 'Sent, unsettled too long';
