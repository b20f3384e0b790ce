-- +goose Up
-- An event's payout carries the reference of the failed payout it sends
-- again (an operator's retry, payouts.retry_of) as retry_of, so a platform
-- that gets payout.created for a reference it never sent knows what it is.
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
			p.market, p.program, p.created_at, p.updated_at FROM payouts p WHERE p.id = p_payout) x),
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
-- +goose StatementEnd

