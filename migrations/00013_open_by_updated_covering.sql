-- +goose Up
-- The stuck list counts its payouts (10,000 of a million in make bench) on
-- every view: with the provider in the index that count is an index-only
-- scan, no visit to the table.
CREATE INDEX payouts_open_by_updated_provider ON payouts (updated_at) INCLUDE (provider) WHERE status IN ('QUEUED', 'PROCESSING');
DROP INDEX payouts_open_by_updated;

-- +goose Down
CREATE INDEX payouts_open_by_updated ON payouts (updated_at) WHERE status IN ('QUEUED', 'PROCESSING');
DROP INDEX payouts_open_by_updated_provider;
