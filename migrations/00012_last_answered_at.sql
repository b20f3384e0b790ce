-- +goose Up
-- When the provider last answered a question about the payout, apart from
-- when payops last asked (last_checked_at, set by failed asks too): the
-- settled re-check's doubling schedule counts answers only, so a failed ask
-- is retried after the usual wait instead of pushing the next look past the
-- payout's window.
ALTER TABLE payouts ADD COLUMN last_answered_at timestamptz;
UPDATE payouts SET last_answered_at = last_checked_at WHERE last_checked_at IS NOT NULL;

-- +goose Down
ALTER TABLE payouts DROP COLUMN last_answered_at;
