-- +goose Up
-- Which payops runs a drill (its host and address) and when it last
-- recorded progress: a payops starting marks interrupted only its own
-- drills and those whose runner has been silent for minutes, not a drill
-- another instance is running.
ALTER TABLE drill_runs ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE drill_runs ADD COLUMN progress_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- +goose Down
ALTER TABLE drill_runs DROP COLUMN progress_at;
ALTER TABLE drill_runs DROP COLUMN instance;
