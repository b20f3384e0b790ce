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
-- parent's reference refused. The default partitions reference each other
-- in the same way.
--
-- payops_ledger_month_keys gives every entries partition whose postings
-- partition of the same month exists that reference, if it has none yet,
-- and returns how many it gave. payops_make_partitions calls it after
-- making a month of either ledger table (store.MakePartitions makes the
-- postings' months before the entries'). A month of entries made while its
-- postings' month could not be (its rows already in the default partition)
-- stays without a reference until the postings' month is made; its rows
-- are written, as every posting's entries are, in the statement that
-- writes the posting (store/rows.go).
CREATE FUNCTION payops_ledger_month_keys() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    entries  regclass;
    postings regclass;
    made     int := 0;
BEGIN
    FOR entries IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'ledger_entries'::regclass LOOP
        postings := to_regclass(replace(entries::text, 'ledger_entries_', 'ledger_postings_'));
        IF postings IS NULL OR EXISTS (SELECT 1 FROM pg_constraint
                WHERE conrelid = entries AND contype = 'f' AND confrelid = postings) THEN
            CONTINUE;
        END IF;
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
