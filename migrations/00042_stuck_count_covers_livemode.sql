-- +goose Up
-- The stuck list's count, the overview's stuck summary and the stuck notice
-- read the open payouts by last change and keep the live ones (00031): with
-- livemode in the index beside the provider the count stays an index-only
-- scan (00013) instead of visiting the table for every stuck payout.
CREATE INDEX payouts_open_by_updated_live ON payouts (updated_at) INCLUDE (provider, livemode)
    WHERE status IN ('QUEUED', 'PROCESSING');
DROP INDEX payouts_open_by_updated_provider;

-- +goose Down
CREATE INDEX payouts_open_by_updated_provider ON payouts (updated_at) INCLUDE (provider) WHERE status IN ('QUEUED', 'PROCESSING');
DROP INDEX payouts_open_by_updated_live;
