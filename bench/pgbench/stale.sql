-- Benchmark 1, pgbench's side: a STALE event, a PROCESSING webhook never
-- seen before for a SUCCEEDED payout, recorded and not applied. The
-- statements POST /webhooks/sandbox runs for it (see new.sql). The payout is
-- any of the SUCCEEDED ones with g % 10 in 4..8 (bench/seed.go).
\set m :m + 1
\set j random(0, :settled - 1)
\set g :j / 5 * 10 + 4 + :j % 5
-- the payout's seeded amount, which the webhook states (bench/seed.go)
\set amount 1000 + (:g * 7919) % 10000000
\set ppid 100000000000 + :g
\set eid :stale_base + :m * :clients + :client_id
BEGIN;
-- intake: the delivery's id, the match and the payout's lock, what apply
-- reads, and the dedupe, in one statement
WITH delivery AS (SELECT nextval('webhook_deliveries_id_seq') AS id),
	m AS (SELECT id FROM payouts WHERE provider = :provider AND :ppid <> '' AND provider_payout_id = :ppid
		UNION ALL
		SELECT id FROM payouts WHERE provider = :provider AND :g <> '' AND reference_id = :g
			AND (provider_payout_id IS NULL OR :ppid = '' OR provider_payout_id = :ppid)
		LIMIT 1),
	p AS (SELECT id, reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
		failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval, created_at,
		submitted_at IS NOT NULL AS sent FROM payouts WHERE id = (SELECT id FROM m) FOR UPDATE),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT :provider, :eid, delivery.id, (SELECT id FROM p), :ppid, :g, :processing, :processing, '', '', '', NULL, :ts, :amount, 'INR', '', :no FROM delivery
		ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1),
	f AS (SELECT delivery_id, payout_id FROM webhook_events WHERE provider = :provider AND event_id = :eid)
SELECT delivery.id AS delivery_id, EXISTS (SELECT FROM e) AS new_event, f.delivery_id AS first_delivery_id,
	f.payout_id AS first_payout_id, p.id IS NOT NULL AS matched, coalesce(p.id, 0) AS id,
	coalesce(p.reference_id, '') AS reference_id, coalesce(p.provider, '') AS provider,
	coalesce(p.amount_minor, 0) AS amount_minor, coalesce(p.currency, '') AS currency, coalesce(p.status, '') AS status,
	p.provider_payout_id, coalesce(p.utr, '') AS utr, coalesce(p.failure_code, '') AS failure_code,
	coalesce(p.failure_reason, '') AS failure_reason, p.fee_minor, coalesce(p.livemode, false) AS livemode,
	coalesce(p.provider_state, '') AS provider_state, coalesce(p.provider_state_reason, '') AS provider_state_reason,
	coalesce(p.pending_approval, false) AS pending_approval, coalesce(p.created_at, 'epoch') AS created_at,
	coalesce(p.sent, false) AS sent
FROM delivery LEFT JOIN f ON true LEFT JOIN p ON true \gset in_
-- apply's batch: the payout changes in nothing, so its row is not written;
-- the event, the audit entry and the delivery's row
WITH w1 AS (INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
		failure_code, failure_reason, actor, observed_at, delivery_id)
	VALUES (:g, :webhook, :processing, :processing, :succeeded, :stale, :detail_stale, '', '', '', :provider, :ts, :in_delivery_id)),
w2 AS (INSERT INTO audit_log (actor, action, entity_type, entity_id, details) VALUES (:provider, :observe, :payout, :in_reference_id, :audit_stale)),
delivery AS (INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified, event_id,
			event_type, outcome, detail, payout_id)
		VALUES (:in_delivery_id, :provider, :headers, :body, :body_length, :body, :yes, :eid, :type_processing, :stale, :detail_stale, :g) RETURNING id)
SELECT 1;
COMMIT;
