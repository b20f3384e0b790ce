-- +goose NO TRANSACTION
-- +goose Up
-- A day's page asks, for the few payouts a version compared across days,
-- whether another day's latest version counts them too
-- (store.ReconCountedTwice): whether that version had the payout "missing at
-- provider" (one probe here, not a scan of every such difference of a
-- version made from an empty report), and which version's window holds the
-- payout's send time (one probe of a provider's runs by day_start). Built
-- CONCURRENTLY: recon_diffs may hold millions of rows.
DROP INDEX CONCURRENTLY IF EXISTS recon_diffs_missing;
CREATE INDEX CONCURRENTLY recon_diffs_missing ON recon_diffs (run_id, payout_id) WHERE kind = 'missing_at_provider';
DROP INDEX CONCURRENTLY IF EXISTS recon_runs_window;
CREATE INDEX CONCURRENTLY recon_runs_window ON recon_runs (provider, day_start, version);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS recon_runs_window;
DROP INDEX CONCURRENTLY IF EXISTS recon_diffs_missing;
