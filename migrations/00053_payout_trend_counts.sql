-- +goose Up
-- The overview's trends (payouts created on each of the last 7 business
-- days, by provider, currency and state now, with their amounts) counted
-- every payout of those days on every load: at a million payouts a day,
-- seven million rows a page. They are now folded like the /metrics counts
-- (00029): the count triggers' delta rows also say the payout's 15 minutes
-- of creation (date_bin from the epoch), currency and amount; the fold adds
-- them into payout_trend_counts; the overview sums the buckets of its days
-- plus the deltas not folded yet, exact at its snapshot. A business day
-- starts on a quarter hour in every time zone in use, so its buckets are
-- whole.
--
-- The deltas go to a new table, payout_deltas. payout_count_deltas stays,
-- empty, for instances still running the code before this migration in a
-- rolling deploy: their fold would take bucketed deltas into payout_counts
-- only and lose them for the trends; it finds nothing there now.
--
-- The count triggers also follow a change of livemode, created_at,
-- currency or amount (payops changes none of them; tests do), so neither
-- count drifts from the table.
--
-- Nothing reads or writes payouts while the table is counted once and its
-- triggers replaced (DROP TRIGGER needs this lock anyway: taken first, no
-- transaction holding a weaker one can deadlock with the migration).
LOCK TABLE payouts IN ACCESS EXCLUSIVE MODE;

CREATE TABLE payout_deltas (
    status   TEXT NOT NULL,
    provider TEXT NOT NULL,
    n        BIGINT NOT NULL,
    bucket   TIMESTAMPTZ, -- NULL: written before this migration, in payout_trend_counts already
    currency TEXT,
    minor    BIGINT
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);
INSERT INTO payout_deltas (status, provider, n) SELECT status, provider, n FROM payout_count_deltas;
DELETE FROM payout_count_deltas;

CREATE TABLE payout_trend_counts (
    bucket   TIMESTAMPTZ NOT NULL,
    provider TEXT NOT NULL,
    currency TEXT NOT NULL,
    status   TEXT NOT NULL,
    n        BIGINT NOT NULL,
    minor    BIGINT NOT NULL,
    PRIMARY KEY (bucket, provider, currency, status)
);
INSERT INTO payout_trend_counts (bucket, provider, currency, status, n, minor)
SELECT date_bin('15 minutes', created_at, 'epoch'), provider, currency, status, count(*), sum(amount_minor)
FROM payouts WHERE livemode GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_deltas (status, provider, n, bucket, currency, minor)
    SELECT status, provider, count(*), date_bin('15 minutes', created_at, 'epoch'), currency, sum(amount_minor)
    FROM inserted_payouts WHERE livemode GROUP BY status, provider, date_bin('15 minutes', created_at, 'epoch'), currency;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_deltas (status, provider, n, bucket, currency, minor)
    SELECT OLD.status, OLD.provider, -1, date_bin('15 minutes', OLD.created_at, 'epoch'), OLD.currency, -OLD.amount_minor
    WHERE OLD.livemode
    UNION ALL
    SELECT NEW.status, NEW.provider, 1, date_bin('15 minutes', NEW.created_at, 'epoch'), NEW.currency, NEW.amount_minor
    WHERE NEW.livemode;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_deltas (status, provider, n, bucket, currency, minor)
    SELECT status, provider, -count(*), date_bin('15 minutes', created_at, 'epoch'), currency, -sum(amount_minor)
    FROM deleted_payouts WHERE livemode GROUP BY status, provider, date_bin('15 minutes', created_at, 'epoch'), currency;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM payout_counts;
    DELETE FROM payout_deltas;
    DELETE FROM payout_trend_counts;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER payout_counts_changed ON payouts;
CREATE TRIGGER payout_counts_changed AFTER UPDATE OF status, provider, livemode, created_at, currency, amount_minor ON payouts
    FOR EACH ROW WHEN ((OLD.livemode OR NEW.livemode) AND (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.provider IS DISTINCT FROM NEW.provider OR OLD.livemode <> NEW.livemode OR OLD.created_at <> NEW.created_at
        OR OLD.currency <> NEW.currency OR OLD.amount_minor <> NEW.amount_minor))
    EXECUTE FUNCTION payout_counts_changed();

-- +goose Down
DROP TRIGGER payout_counts_changed ON payouts;
CREATE TRIGGER payout_counts_changed AFTER UPDATE OF status, provider ON payouts
    FOR EACH ROW WHEN (NEW.livemode AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.provider IS DISTINCT FROM NEW.provider))
    EXECUTE FUNCTION payout_counts_changed();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    VALUES (OLD.status, OLD.provider, -1), (NEW.status, NEW.provider, 1);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, count(*) FROM inserted_payouts WHERE livemode GROUP BY status, provider;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, -count(*) FROM deleted_payouts WHERE livemode GROUP BY status, provider;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM payout_counts;
    DELETE FROM payout_count_deltas;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
INSERT INTO payout_count_deltas (status, provider, n) SELECT status, provider, n FROM payout_deltas;
DROP TABLE payout_deltas;
DROP TABLE payout_trend_counts;
