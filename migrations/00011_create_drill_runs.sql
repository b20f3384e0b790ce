-- +goose Up
-- Failure drills started from the /drills page: their live progress and,
-- once finished, their reports, kept.
CREATE TABLE drill_runs (
    id          BIGSERIAL PRIMARY KEY,
    scenario    TEXT NOT NULL,
    payouts     INTEGER NOT NULL CHECK (payouts BETWEEN 1 AND 2000),
    state       TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'passed', 'failed', 'interrupted')),
    phase       TEXT NOT NULL DEFAULT 'starting',
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    started_by  TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    report      JSONB,
    error       TEXT NOT NULL DEFAULT ''
);
-- One drill at a time: they share the drill sandbox.
CREATE UNIQUE INDEX drill_runs_one_running ON drill_runs ((true)) WHERE state = 'running';

-- +goose Down
DROP TABLE drill_runs;
