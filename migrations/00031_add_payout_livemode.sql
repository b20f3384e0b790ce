-- +goose Up
-- Test mode: a payout is live (moves money) or a test payout (the sandbox's,
-- a drill's), decided from its provider at intake (payout.Livemode) and
-- never changed. One column replaces the provider <> 'drill' conditions.
--
-- A constant default is stored in the catalogue, not written into every
-- row (PostgreSQL 11+), so the column costs no rewrite of a big table; only
-- the test payouts are updated.
ALTER TABLE payouts ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT true;
UPDATE payouts SET livemode = false WHERE provider IN ('sandbox', 'drill');

-- The live views (overview, payouts list, stuck list, holds queue) keep the
-- indexes they use: test payouts are a sliver of the table, and the
-- livemode = true filter drops the few the scan meets. The test view looks
-- for that sliver: a partial index holding only test payouts, by creation
-- (the list's default order and the overview's day ranges) with the id
-- (the list's tie-break, and what the holds queue's test view and its
-- live view's NOT IN read), small and untouched by live payouts' writes.
CREATE INDEX payouts_test_by_created ON payouts (created_at, id) WHERE NOT livemode;

-- Webhook endpoints are live or test, as Stripe's: a payout's events go to
-- the endpoints of its own mode only, so a test payout never reaches a live
-- endpoint.
ALTER TABLE webhook_endpoints ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT true;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_payout_event(p_payout BIGINT, p_type TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
	event BIGINT;
	live BOOLEAN;
BEGIN
	SELECT livemode INTO live FROM payouts WHERE id = p_payout;
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE disabled_at IS NULL AND livemode = live AND (cardinality(events) = 0 OR p_type = ANY (events))) THEN
		RETURN;
	END IF;
	INSERT INTO outbound_events (type, payout_id, snapshot)
	VALUES (p_type, p_payout, jsonb_build_object(
		'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
			p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.created_at,
			p.updated_at FROM payouts p WHERE p.id = p_payout) x),
		'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
			h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = p_payout) h),
		'ledger', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.entry_id) FROM (SELECT e.id AS entry_id, e.posting_id, l.kind,
			l.posted_at, e.account, e.direction, e.amount_minor, e.currency
			FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id WHERE l.payout_id = p_payout) x)))
	RETURNING id INTO event;
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT event, id, p_payout FROM webhook_endpoints
	WHERE disabled_at IS NULL AND livemode = live AND (cardinality(events) = 0 OR p_type = ANY (events));
END
$$;
-- +goose StatementEnd

-- The folded counts behind /metrics count live payouts only. livemode never
-- changes, so a status change moves a count only within live payouts.
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
DROP TRIGGER payout_counts_changed ON payouts;
CREATE TRIGGER payout_counts_changed AFTER UPDATE OF status, provider ON payouts
    FOR EACH ROW WHEN (NEW.livemode AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.provider IS DISTINCT FROM NEW.provider))
    EXECUTE FUNCTION payout_counts_changed();
-- Every payout of these providers is a test payout now (the UPDATE above):
-- their counts go, without counting the table again.
DELETE FROM payout_counts WHERE provider IN ('sandbox', 'drill');
DELETE FROM payout_count_deltas WHERE provider IN ('sandbox', 'drill');

-- +goose Down
-- (The sandbox's and drills' counts are not restored: count them again if
-- this is ever run.)
DROP TRIGGER payout_counts_changed ON payouts;
CREATE TRIGGER payout_counts_changed AFTER UPDATE OF status, provider ON payouts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION payout_counts_changed();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, count(*) FROM inserted_payouts GROUP BY status, provider;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payout_count_deltas (status, provider, n)
    SELECT status, provider, -count(*) FROM deleted_payouts GROUP BY status, provider;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_payout_event(p_payout BIGINT, p_type TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
	event BIGINT;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE disabled_at IS NULL AND (cardinality(events) = 0 OR p_type = ANY (events))) THEN
		RETURN;
	END IF;
	INSERT INTO outbound_events (type, payout_id, snapshot)
	VALUES (p_type, p_payout, jsonb_build_object(
		'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
			p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.created_at,
			p.updated_at FROM payouts p WHERE p.id = p_payout) x),
		'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
			h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = p_payout) h),
		'ledger', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.entry_id) FROM (SELECT e.id AS entry_id, e.posting_id, l.kind,
			l.posted_at, e.account, e.direction, e.amount_minor, e.currency
			FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id WHERE l.payout_id = p_payout) x)))
	RETURNING id INTO event;
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT event, id, p_payout FROM webhook_endpoints
	WHERE disabled_at IS NULL AND (cardinality(events) = 0 OR p_type = ANY (events));
END
$$;
-- +goose StatementEnd
ALTER TABLE webhook_endpoints DROP COLUMN livemode;
DROP INDEX payouts_test_by_created;
ALTER TABLE payouts DROP COLUMN livemode;
