-- +goose Up
-- The stale re-check also asks about payouts that succeeded recently, so a
-- late reversal whose webhook was lost is still found.
CREATE INDEX payouts_succeeded_by_updated ON payouts (updated_at) WHERE status = 'SUCCEEDED';

-- +goose Down
DROP INDEX payouts_succeeded_by_updated;
