-- +goose Up
-- +goose StatementBegin
-- Every run of a background job: which instance ran it, for which tick,
-- what it looked at and changed, and how it ended.
CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    job         TEXT NOT NULL,
    instance    TEXT NOT NULL,
    trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    tick        TIMESTAMPTZ,  -- the scheduled time; one run per job and tick across instances
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    examined    INT NOT NULL DEFAULT 0,
    changed     INT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX job_runs_once_per_tick ON job_runs (job, tick) WHERE tick IS NOT NULL;
CREATE INDEX job_runs_latest ON job_runs (job, id DESC);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE job_runs;
-- +goose StatementEnd
