-- +goose Up
-- What a converging drill waits for, recorded with its progress: its
-- payouts that do not agree with the provider's truth yet, counted by why
-- (JSON, the drill package's Waiting), and when the drill runs the stale
-- re-check next.
ALTER TABLE drill_runs ADD COLUMN waiting JSONB, ADD COLUMN next_recheck_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE drill_runs DROP COLUMN waiting, DROP COLUMN next_recheck_at;
