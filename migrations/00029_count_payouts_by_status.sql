-- +goose Up
-- +goose StatementBegin
-- Payouts by status and provider for /metrics without counting a million
-- rows per scrape. A single counter row per (status, provider) would be
-- updated by every webhook that settles a payout, and its row lock held to
-- the end of each ingestion's transaction would queue concurrent ingestions
-- of one provider behind each other. Instead every change appends a delta
-- row (no lock on anything shared), a job folds the deltas into
-- payout_counts every few seconds, and a scrape reads payout_counts plus
-- the deltas not folded yet: exact at the scrape's snapshot, never stale.
CREATE TABLE payout_counts (
    status   TEXT NOT NULL,
    provider TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (status, provider)
);
-- Written by every status change, emptied by the fold: vacuum it often.
CREATE TABLE payout_count_deltas (
    status   TEXT NOT NULL,
    provider TEXT NOT NULL,
    n        BIGINT NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);

-- Inserts: once per statement, so a set-based INSERT of a million payouts
-- adds a delta row per (status, provider), not a million.
CREATE FUNCTION payout_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, count(*) FROM inserted_payouts GROUP BY status, provider;
    RETURN NULL;
END;
$$;
CREATE TRIGGER payout_counts_inserted AFTER INSERT ON payouts
    REFERENCING NEW TABLE AS inserted_payouts FOR EACH STATEMENT EXECUTE FUNCTION payout_counts_inserted();

-- Status changes: per row, and only when the status or provider changes
-- (a re-check's last_checked_at does not fire it).
CREATE FUNCTION payout_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    VALUES (OLD.status, OLD.provider, -1), (NEW.status, NEW.provider, 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER payout_counts_changed AFTER UPDATE OF status, provider ON payouts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION payout_counts_changed();

-- Payouts are never deleted by payops; tests and benchmarks empty tables.
CREATE FUNCTION payout_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, -count(*) FROM deleted_payouts GROUP BY status, provider;
    RETURN NULL;
END;
$$;
CREATE TRIGGER payout_counts_deleted AFTER DELETE ON payouts
    REFERENCING OLD TABLE AS deleted_payouts FOR EACH STATEMENT EXECUTE FUNCTION payout_counts_deleted();

CREATE FUNCTION payout_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM payout_counts;
    DELETE FROM payout_count_deltas;
    RETURN NULL;
END;
$$;
CREATE TRIGGER payout_counts_truncated AFTER TRUNCATE ON payouts
    FOR EACH STATEMENT EXECUTE FUNCTION payout_counts_truncated();

-- The payouts there are now: the one full count.
INSERT INTO payout_counts (status, provider, n)
SELECT status, provider, count(*) FROM payouts GROUP BY status, provider;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER payout_counts_truncated ON payouts;
DROP TRIGGER payout_counts_deleted ON payouts;
DROP TRIGGER payout_counts_changed ON payouts;
DROP TRIGGER payout_counts_inserted ON payouts;
DROP FUNCTION payout_counts_truncated();
DROP FUNCTION payout_counts_deleted();
DROP FUNCTION payout_counts_changed();
DROP FUNCTION payout_counts_inserted();
DROP TABLE payout_count_deltas;
DROP TABLE payout_counts;
-- +goose StatementEnd
