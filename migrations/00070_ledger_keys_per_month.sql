-- +goose Up
-- +goose StatementBegin
-- Each month's ledger entries reference that month's postings, instead of
-- the entries referencing the whole partitioned ledger_postings (00040).
-- PostgreSQL checks a reference to a partitioned table with a query on the
-- parent, and that query takes a lock on every month's partition, for
-- every entry written: the ledger is never archived, so the check grew
-- with each month of history for ever (two entries a posting; with sixty
-- months of partitions a group of sixteen webhooks cost a fifth more,
-- BenchmarkIngestGroup, months=60; docs/SCALING.md, "Years of
-- partitions"). The key is the same one: postings and entries are both
-- partitioned by payout_created_at on the same month bounds, so an entry
-- and its posting always fall in the partitions of the same name, and the
-- month's entries referencing (posting_id, payout_created_at) to the
-- month's postings (id, payout_created_at) refuses exactly what the
-- parent's reference refused.
--
-- The default partition of entries, and a month of entries made while
-- its month of postings could not be, reference the whole ledger_postings,
-- as before. A row is there only when its month was not made (the
-- HistoryInDefaultPartition alert), and the two tables' months are made
-- one table at a time: with a month of postings made and its month of
-- entries not, that month's postings are in their month and its entries in
-- the default, and a reference between the two defaults would refuse every
-- ledger write of that month.
--
-- payops_ledger_month_keys gives every partition of entries without it
-- that reference, to its month of postings where that exists, and returns
-- how many it gave. payops_make_partitions calls it after making a month
-- of either ledger table (store.MakePartitions makes the postings' months
-- before the entries', so a new month is keyed to its month while empty).
-- A month of entries keyed to the whole table stays so: correct, and
-- rare.
CREATE FUNCTION payops_ledger_month_keys() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    entries  regclass;
    postings regclass;
    made     int := 0;
BEGIN
    FOR entries IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ledger_entries'::regclass LOOP
        IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = entries AND conname = entries::text || '_posting_fkey') THEN
            CONTINUE;
        END IF;
        postings := NULL;
        IF entries::text LIKE 'ledger\_entries\_p%' THEN
            postings := to_regclass('ledger_postings_p' || substr(entries::text, length('ledger_entries_p') + 1));
        END IF;
        postings := coalesce(postings, 'ledger_postings'::regclass);
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (posting_id, payout_created_at) REFERENCES %s (id, payout_created_at)',
            entries, entries::text || '_posting_fkey', postings);
        made := made + 1;
    END LOOP;
    RETURN made;
END;
$$;

CREATE OR REPLACE FUNCTION payops_make_partitions(parent regclass, from_month timestamptz, to_month timestamptz)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    m    timestamp := date_trunc('month', from_month AT TIME ZONE 'UTC');
    part text;
    made int := 0;
BEGIN
    WHILE m <= to_month AT TIME ZONE 'UTC' LOOP
        part := format('%s_p%s', parent::text, to_char(m, 'YYYYMM'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', part, parent,
                (m AT TIME ZONE 'UTC'), ((m + interval '1 month') AT TIME ZONE 'UTC'));
            made := made + 1;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    PERFORM payops_guard_truncate(parent);
    IF made > 0 AND parent IN ('ledger_postings'::regclass, 'ledger_entries'::regclass) THEN
        PERFORM payops_ledger_month_keys();
    END IF;
    RETURN made;
END;
$$;

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_posting_id_payout_created_at_fkey;
SELECT payops_ledger_month_keys();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payops_make_partitions(parent regclass, from_month timestamptz, to_month timestamptz)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    m    timestamp := date_trunc('month', from_month AT TIME ZONE 'UTC');
    part text;
    made int := 0;
BEGIN
    WHILE m <= to_month AT TIME ZONE 'UTC' LOOP
        part := format('%s_p%s', parent::text, to_char(m, 'YYYYMM'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', part, parent,
                (m AT TIME ZONE 'UTC'), ((m + interval '1 month') AT TIME ZONE 'UTC'));
            made := made + 1;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    PERFORM payops_guard_truncate(parent);
    RETURN made;
END;
$$;
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS rel, conname FROM pg_constraint
            WHERE contype = 'f' AND conname LIKE 'ledger_entries_%_posting_fkey' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.rel, c.conname);
    END LOOP;
END $$;
DROP FUNCTION payops_ledger_month_keys();
ALTER TABLE ledger_entries ADD FOREIGN KEY (posting_id, payout_created_at) REFERENCES ledger_postings (id, payout_created_at);
-- +goose StatementEnd
