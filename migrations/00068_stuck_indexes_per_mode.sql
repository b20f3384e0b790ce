-- +goose NO TRANSACTION
-- +goose Up
-- The stuck list counts the open payouts (QUEUED or PROCESSING) of one mode
-- unchanged since a time, every time it is shown: an index-only scan of
-- every stuck payout. One index for both modes (00042) kept livemode in each
-- entry, and the count filtered every entry on it: a live count read the
-- test entries too, and a test count every live one. One index per mode,
-- the mode in its predicate, holds the same entries (each open payout is in
-- one of them, as it was in the one) with nothing to filter: a live count of
-- 10,000 stuck took 0.79 ms, now 0.66 (make bench's database, 2026-12-05).
-- The stuck list spells its mode into its SQL (store.stuckWhere), and
-- livemode <> $n, planned for its value, is folded into livemode or NOT
-- livemode. A reader of both modes reads each mode's index and merges them
-- (the long-stuck cases, oldest first), or the open payouts by status (the
-- stale re-check, which orders them otherwise). Built CONCURRENTLY: payouts
-- is written by every webhook; a build that failed half-way leaves an
-- invalid index of its name, dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_live_by_updated;
CREATE INDEX CONCURRENTLY payouts_open_live_by_updated ON payouts (updated_at) INCLUDE (provider)
    WHERE status IN ('QUEUED', 'PROCESSING') AND livemode;
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_test_by_updated;
CREATE INDEX CONCURRENTLY payouts_open_test_by_updated ON payouts (updated_at) INCLUDE (provider)
    WHERE status IN ('QUEUED', 'PROCESSING') AND NOT livemode;
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_by_updated_live;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_by_updated_live;
CREATE INDEX CONCURRENTLY payouts_open_by_updated_live ON payouts (updated_at) INCLUDE (provider, livemode)
    WHERE status IN ('QUEUED', 'PROCESSING');
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_live_by_updated;
DROP INDEX CONCURRENTLY IF EXISTS payouts_open_test_by_updated;
