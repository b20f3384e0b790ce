-- +goose Up
-- +goose StatementBegin
-- History that grows without end (issue 19): the append-only tables become
-- partitioned by month (declarative, RANGE on a timestamp), so old months can
-- be archived and dropped whole (the retention job) and new months are made
-- ahead (the partitions job, payops_make_partitions below). Every row is
-- copied; ids keep their sequences.
--
-- Partition key of each table (months in UTC):
--   webhook_deliveries  received_at
--   payout_events       recorded_at
--   audit_log           at
--   gate_evaluations    evaluated_at
--   job_runs            started_at
--   ledger_postings     payout_created_at (new: the payout's created_at)
--   ledger_entries      payout_created_at (new: its posting's)
-- A primary key or unique constraint on a partitioned table must include the
-- partition key, so each id primary key becomes (id, key); ids stay unique
-- by their sequence. The ledger is partitioned by the month its payout was
-- created in, not the month it was posted in: payout_created_at depends on
-- payout_id alone, so UNIQUE (payout_id, kind, payout_created_at) is still
-- the exactly-once key (payout, kind) of 00003, and the entries carry the
-- same column so they keep a real foreign key to their posting. The ledger
-- is never archived.
--
-- Each table also gets a DEFAULT partition for a row whose time falls in no
-- month made (an explicit old timestamp): an insert never fails for want of
-- a partition. payops_make_partitions refuses to make a month the default
-- already holds rows of (PostgreSQL's error); the job makes months ahead of
-- time, so only a row written with a time months in the future could.
--
-- Foreign keys dropped, and why (integrity is kept by the writers, which
-- write both rows in one transaction):
--   webhook_events.delivery_id -> webhook_deliveries: deliveries are archived
--     after their retention while the dedupe key must stay forever; and a
--     reference to a partitioned table must name its whole key (id,
--     received_at). store.IngestWebhook writes the event with the delivery
--     it just inserted.
--   payout_events.delivery_id -> webhook_deliveries: the same retention
--     reason; the event is written by apply with the delivery being applied.
--   holds.evaluation_id -> gate_evaluations: holds live as long as their
--     payout, gate evaluations are archived after their retention; intake
--     writes the hold with the evaluation it just inserted.
--   ledger_entries.posting_id -> ledger_postings: replaced, not lost, by
--     (posting_id, payout_created_at) -> ledger_postings (id,
--     payout_created_at).
-- The references from these tables to payouts (payout_id) are kept.
--
-- Append-only: the triggers of 00001, 00003 and 00004 are made again on the
-- partitioned tables. PostgreSQL clones row triggers onto every partition,
-- present and future, so UPDATE and DELETE are refused through the parent
-- and on a partition named directly; it does not clone statement triggers,
-- so payops_guard_truncate gives each of audit_log's partitions its
-- TRUNCATE trigger (payops_make_partitions calls it for new months).
-- payout_events, append-only by design but unguarded until now, refuses
-- UPDATE and DELETE too. TRUNCATE stays refused where it was (audit_log):
-- TRUNCATE payouts CASCADE empties the others in tests, as before.
-- webhook_deliveries (its outcome is set after the insert) and job_runs
-- (finished after it starts, pruned) are not append-only and get no
-- trigger. Removing a month is DDL (DETACH, DROP), which only the retention
-- job and PruneRuns do.
--
-- job_runs: the unique index (job, tick) of 00006 cannot include started_at
-- and stay "one run per tick", so it becomes a plain index and BeginRun
-- checks for the tick's run before inserting while it holds the job's
-- advisory lock, which every run takes first: runs of one job never record
-- their start at the same time.

-- payops_guard_truncate gives every partition of an append-only parent
-- (one with a <parent>_no_truncate trigger) the same TRUNCATE trigger:
-- PostgreSQL clones row triggers onto partitions, not statement triggers,
-- and TRUNCATE of a partition named directly fires only its own.
CREATE FUNCTION payops_guard_truncate(parent regclass)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    trig text := parent::text || '_no_truncate';
    part regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = parent AND tgname = trig) THEN
        RETURN;
    END IF;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = parent LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = part AND tgname = trig) THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()',
                trig, part);
        END IF;
    END LOOP;
END;
$$;

-- payops_make_partitions makes the monthly partitions of parent for every
-- month from from_month's to to_month's, those that do not exist yet, and
-- returns how many it made.
CREATE FUNCTION payops_make_partitions(parent regclass, from_month timestamptz, to_month timestamptz)
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

-- payops_partition_history turns tbl into a table partitioned by key, with
-- the months from its oldest row to three ahead and a default partition,
-- and copies every row of source (the old table, renamed tbl_unpartitioned,
-- by default) into it. Indexes, keys and triggers are made by the caller.
CREATE FUNCTION payops_partition_history(tbl text, key text, extra text, source text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old    text := tbl || '_unpartitioned';
    oldest timestamptz;
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS %s) PARTITION BY RANGE (%I)',
        tbl, old, extra, key);
    -- The id sequence would go with the old table.
    EXECUTE format('ALTER SEQUENCE %s OWNED BY %I.id', pg_get_serial_sequence(old, 'id'), tbl);
    source := coalesce(source, format('SELECT * FROM %I', old));
    EXECUTE format('SELECT min(%I) FROM (%s) s', key, source) INTO oldest;
    PERFORM payops_make_partitions(tbl::regclass, least(coalesce(oldest, now()), now() - interval '1 month'),
        now() + interval '3 months');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
    EXECUTE format('INSERT INTO %I %s', tbl, source);
    EXECUTE format('DROP TABLE %I', old);
END;
$$;

ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_delivery_id_fkey;
ALTER TABLE payout_events DROP CONSTRAINT payout_events_delivery_id_fkey;
ALTER TABLE holds DROP CONSTRAINT holds_evaluation_id_fkey;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_posting_id_fkey;

SELECT payops_partition_history('webhook_deliveries', 'received_at', '', NULL);
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (id, received_at),
    ADD FOREIGN KEY (payout_id) REFERENCES payouts (id);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at DESC, id DESC);
CREATE INDEX webhook_deliveries_payout ON webhook_deliveries (payout_id) WHERE payout_id IS NOT NULL;
CREATE INDEX webhook_deliveries_by_razorpay_event ON webhook_deliveries ((headers->>'X-Razorpay-Event-Id'))
    WHERE headers->>'X-Razorpay-Event-Id' IS NOT NULL;

SELECT payops_partition_history('payout_events', 'recorded_at', '', NULL);
ALTER TABLE payout_events ADD PRIMARY KEY (id, recorded_at),
    ADD FOREIGN KEY (payout_id) REFERENCES payouts (id);
CREATE INDEX payout_events_payout ON payout_events (payout_id, id);
CREATE INDEX payout_events_anomalies ON payout_events (recorded_at, id) WHERE decision = 'anomaly';
CREATE TRIGGER payout_events_append_only BEFORE UPDATE OR DELETE ON payout_events
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

SELECT payops_partition_history('audit_log', 'at', '', NULL);
ALTER TABLE audit_log ADD PRIMARY KEY (id, at);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_by_actor ON audit_log (lower(actor) text_pattern_ops);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
SELECT payops_guard_truncate('audit_log');

SELECT payops_partition_history('gate_evaluations', 'evaluated_at', '', NULL);
ALTER TABLE gate_evaluations ADD PRIMARY KEY (id, evaluated_at),
    ADD FOREIGN KEY (payout_id) REFERENCES payouts (id);
CREATE INDEX gate_evaluations_payout ON gate_evaluations (payout_id, id);
CREATE TRIGGER gate_evaluations_append_only BEFORE UPDATE OR DELETE ON gate_evaluations
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

SELECT payops_partition_history('job_runs', 'started_at', '', NULL);
ALTER TABLE job_runs ADD PRIMARY KEY (id, started_at);
CREATE INDEX job_runs_of_tick ON job_runs (job, tick) WHERE tick IS NOT NULL;
CREATE INDEX job_runs_latest ON job_runs (job, id DESC);

SELECT payops_partition_history('ledger_postings', 'payout_created_at', ', payout_created_at TIMESTAMPTZ NOT NULL',
    'SELECT l.*, p.created_at AS payout_created_at FROM ledger_postings_unpartitioned l JOIN payouts p ON p.id = l.payout_id');
ALTER TABLE ledger_postings ADD PRIMARY KEY (id, payout_created_at),
    ADD CONSTRAINT ledger_postings_payout_id_kind_key UNIQUE (payout_id, kind, payout_created_at),
    ADD FOREIGN KEY (payout_id) REFERENCES payouts (id);
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

SELECT payops_partition_history('ledger_entries', 'payout_created_at', ', payout_created_at TIMESTAMPTZ NOT NULL',
    'SELECT e.*, l.payout_created_at FROM ledger_entries_unpartitioned e JOIN ledger_postings l ON l.id = e.posting_id');
ALTER TABLE ledger_entries ADD PRIMARY KEY (id, payout_created_at),
    ADD FOREIGN KEY (posting_id, payout_created_at) REFERENCES ledger_postings (id, payout_created_at);
CREATE INDEX ledger_entries_posting ON ledger_entries (posting_id);
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

DROP FUNCTION payops_partition_history(text, text, text, text);

ANALYZE webhook_deliveries, payout_events, audit_log, gate_evaluations, job_runs, ledger_postings, ledger_entries;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN
    RAISE EXCEPTION '00040 is not reversible: restore the database from before it';
END $$;
-- +goose StatementEnd
