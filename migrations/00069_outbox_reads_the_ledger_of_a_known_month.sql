-- +goose Up
-- outbox_payout_events reads the payouts' ledger in a statement of its own,
-- bounded by the oldest and newest creation time of the payouts as values
-- known when the statement starts. The ledger is partitioned by
-- payout_created_at (00040) and never archived, so it gains a month's
-- partitions for ever; 00066 matched them only to each payout's created_at
-- read in the same statement, a value PostgreSQL learns row by row, and
-- every month's partitions of postings and entries were set up (and, with
-- its plan made for many nearly empty months, a whole month hashed) for
-- every group of events: with sixty months, a group of four with an
-- endpoint cost three times as much (BenchmarkIngestGroup, months=60;
-- docs/SCALING.md, "Years of partitions"). Now the months outside the
-- bounds are pruned before the statement runs, and each payout's postings,
-- then each posting's entries, are probed by index (LATERAL ... OFFSET 0
-- keeps that shape whatever the months' statistics say). The snapshot is
-- as before: the ledger's entries of each payout, in entry order.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_payout_events(p_payouts BIGINT[], p_types TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
	first TIMESTAMPTZ;
	last TIMESTAMPTZ;
	ledgers JSONB;
BEGIN
	-- With no endpoint at all there is nothing to write, nor to read.
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints) THEN
		RETURN;
	END IF;
	-- The payouts are found by id first (OFFSET 0): min() and max() of an
	-- indexed column are otherwise read from that index's end, scanning
	-- every older payout until one of these.
	SELECT min(c), max(c) INTO first, last
	FROM (SELECT p.created_at AS c FROM payouts p WHERE p.id = ANY (p_payouts) OFFSET 0) x;
	SELECT jsonb_object_agg(payout_id, entries) INTO ledgers FROM (
			SELECT l.payout_id, jsonb_agg(jsonb_build_object('entry_id', e.id, 'posting_id', e.posting_id, 'kind', l.kind,
				'posted_at', l.posted_at, 'account', e.account, 'direction', e.direction, 'amount_minor', e.amount_minor,
				'currency', e.currency) ORDER BY e.id) AS entries
			FROM payouts p
			CROSS JOIN LATERAL (SELECT l.id, l.payout_id, l.kind, l.posted_at FROM ledger_postings l
				WHERE l.payout_id = p.id AND l.payout_created_at = p.created_at
				AND l.payout_created_at BETWEEN first AND last OFFSET 0) l
			CROSS JOIN LATERAL (SELECT e.id, e.posting_id, e.account, e.direction, e.amount_minor, e.currency
				FROM ledger_entries e WHERE e.posting_id = l.id AND e.payout_created_at = p.created_at
				AND e.payout_created_at BETWEEN first AND last OFFSET 0) e
			WHERE p.id = ANY (p_payouts)
			GROUP BY l.payout_id) x;
	WITH ev AS (
		SELECT e.ord, e.payout_id, e.type
		FROM unnest(p_payouts, p_types) WITH ORDINALITY AS e (payout_id, type, ord)
		JOIN payouts p ON p.id = e.payout_id
		WHERE EXISTS (SELECT 1 FROM webhook_endpoints w
			WHERE w.livemode = p.livemode AND (cardinality(w.events) = 0 OR e.type = ANY (w.events)))
	), made AS (
		INSERT INTO outbound_events (type, payout_id, snapshot)
		SELECT ev.type, ev.payout_id, jsonb_build_object(
			'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
				p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.livemode,
				p.market, p.program, p.created_at, p.updated_at,
				(SELECT r.reference_id FROM payouts r WHERE r.id = p.retry_of) AS retry_of_ref
				FROM payouts p WHERE p.id = ev.payout_id) x),
			'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
				h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = ev.payout_id) h),
			'ledger', ledgers -> ev.payout_id::text)
		FROM ev ORDER BY ev.ord
		RETURNING id, payout_id, type
	)
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT made.id, w.id, made.payout_id
	FROM made JOIN payouts p ON p.id = made.payout_id
	JOIN webhook_endpoints w ON w.livemode = p.livemode AND (cardinality(w.events) = 0 OR made.type = ANY (w.events))
	ORDER BY made.id, w.id;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_payout_events(p_payouts BIGINT[], p_types TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
	WITH ev AS (
		SELECT e.ord, e.payout_id, e.type, p.created_at
		FROM unnest(p_payouts, p_types) WITH ORDINALITY AS e (payout_id, type, ord)
		JOIN payouts p ON p.id = e.payout_id
		WHERE EXISTS (SELECT 1 FROM webhook_endpoints w
			WHERE w.livemode = p.livemode AND (cardinality(w.events) = 0 OR e.type = ANY (w.events)))
	), made AS (
		INSERT INTO outbound_events (type, payout_id, snapshot)
		SELECT ev.type, ev.payout_id, jsonb_build_object(
			'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
				p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.livemode,
				p.market, p.program, p.created_at, p.updated_at,
				(SELECT r.reference_id FROM payouts r WHERE r.id = p.retry_of) AS retry_of_ref
				FROM payouts p WHERE p.id = ev.payout_id) x),
			'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
				h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = ev.payout_id) h),
			'ledger', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.entry_id) FROM (SELECT e.id AS entry_id, e.posting_id, l.kind,
				l.posted_at, e.account, e.direction, e.amount_minor, e.currency
				FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id AND e.payout_created_at = l.payout_created_at
				WHERE l.payout_id = ev.payout_id AND l.payout_created_at = ev.created_at) x))
		FROM ev ORDER BY ev.ord
		RETURNING id, payout_id, type
	)
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT made.id, w.id, made.payout_id
	FROM made JOIN payouts p ON p.id = made.payout_id
	JOIN webhook_endpoints w ON w.livemode = p.livemode AND (cardinality(w.events) = 0 OR made.type = ANY (w.events))
	ORDER BY made.id, w.id;
END
$$;
-- +goose StatementEnd
