-- +goose Up
-- outbox_payout_events writes the events p_types[i] about payouts
-- p_payouts[i], as each payout stands in the caller's transaction, in one
-- statement: webhooks taken in as a group (store/webhooks_group.go) write
-- their outbound events together instead of one statement each. Each event
-- is written, as before, only if an endpoint of the payout's mode
-- subscribes to its type, and fans out to every such endpoint, enabled or
-- not (00047). outbox_payout_event, for one payout, is now this for a list
-- of one, so the snapshot is made in one place.
-- +goose StatementBegin
CREATE FUNCTION outbox_payout_events(p_payouts BIGINT[], p_types TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION outbox_payout_event(p_payout BIGINT, p_type TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
	PERFORM outbox_payout_events(ARRAY[p_payout], ARRAY[p_type]);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_payout_event(p_payout BIGINT, p_type TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
	event BIGINT;
	live BOOLEAN;
	created TIMESTAMPTZ;
BEGIN
	SELECT livemode, created_at INTO live, created FROM payouts WHERE id = p_payout;
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE livemode = live AND (cardinality(events) = 0 OR p_type = ANY (events))) THEN
		RETURN;
	END IF;
	INSERT INTO outbound_events (type, payout_id, snapshot)
	VALUES (p_type, p_payout, jsonb_build_object(
		'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
			p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.livemode,
			p.market, p.program, p.created_at, p.updated_at,
			(SELECT r.reference_id FROM payouts r WHERE r.id = p.retry_of) AS retry_of_ref
			FROM payouts p WHERE p.id = p_payout) x),
		'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
			h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = p_payout) h),
		'ledger', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.entry_id) FROM (SELECT e.id AS entry_id, e.posting_id, l.kind,
			l.posted_at, e.account, e.direction, e.amount_minor, e.currency
			FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id AND e.payout_created_at = l.payout_created_at
			WHERE l.payout_id = p_payout AND l.payout_created_at = created) x)))
	RETURNING id INTO event;
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT event, id, p_payout FROM webhook_endpoints
	WHERE livemode = live AND (cardinality(events) = 0 OR p_type = ANY (events));
END
$$;
DROP FUNCTION outbox_payout_events(BIGINT[], TEXT[]);
-- +goose StatementEnd
