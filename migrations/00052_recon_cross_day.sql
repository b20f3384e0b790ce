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

-- +goose Down
DROP TABLE recon_cross_day;
