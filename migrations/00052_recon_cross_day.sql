-- +goose Up
-- Payouts a day's version compared across the day's boundary. A payout
-- belongs to the day it was sent by payops' clock (submitted_at); the
-- provider may report it on the day before or after (its clock, its cut-off):
--   sent_other_day     a record of this day matched a payout sent on another
--                      day; it is counted here;
--   reported_other_day a payout sent this day is in no record of it, but the
--                      latest version of other_date matched it: it is
--                      counted there, and is no difference here.
-- A few rows a day; they let the next day (or a run again) tell a payout the
-- provider reported on its neighbour from one it does not have.
CREATE TABLE recon_cross_day (
    run_id     BIGINT NOT NULL REFERENCES recon_runs (id),
    payout_id  BIGINT NOT NULL REFERENCES payouts (id),
    kind       TEXT NOT NULL CHECK (kind IN ('sent_other_day', 'reported_other_day')),
    other_date DATE,
    PRIMARY KEY (run_id, payout_id),
    CHECK ((kind = 'reported_other_day') = (other_date IS NOT NULL))
);
CREATE INDEX recon_cross_day_payout ON recon_cross_day (payout_id) WHERE kind = 'sent_other_day';

-- A "missing at provider" difference a run of another day resolved, having
-- matched the payout there (payout.ReportedOnAnotherDay): a new version of
-- the day does not carry that resolution over, it asks that day again.
ALTER TABLE recon_diffs ADD COLUMN resolved_by_run BIGINT REFERENCES recon_runs (id);
-- A run looks up the open "missing at provider" differences of the payouts
-- it matched from other days.
CREATE INDEX recon_diffs_open_missing ON recon_diffs (payout_id) WHERE kind = 'missing_at_provider' AND resolution = 'open';
-- A new version of the day that matched them finds those resolutions: if
-- it no longer matches a payout, the payout is missing there.
CREATE INDEX recon_diffs_resolved_by_run ON recon_diffs (resolved_by_run) WHERE resolved_by_run IS NOT NULL;

-- +goose Down
DROP INDEX recon_diffs_resolved_by_run;
DROP INDEX recon_diffs_open_missing;
ALTER TABLE recon_diffs DROP COLUMN resolved_by_run;
DROP TABLE recon_cross_day;
