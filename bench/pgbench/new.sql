-- Benchmark 1, pgbench's side: a NEW event, the first delivery of a SUCCESS
-- webhook for a PROCESSING payout, which the endpoint applies. These are the
-- statements POST /webhooks/sandbox runs for it (store.IngestWebhook: intake,
-- then apply's batch), in its order and with its SQL: each $n is a pgbench
-- variable, or the '' or NULL the endpoint sends there. bench checks them
-- against the endpoint's own before running them.
--
-- Each client settles in-flight payouts of its own, in turn: payout index
-- :start + :n * :clients + :client_id, whose id g is as in bench/seed.go.
\set n :n + 1
\set i :start + :n * :clients + :client_id
\set g :i / 3 * 10 + 1 + :i % 3
-- the payout's seeded amount, which the webhook states (bench/seed.go)
\set amount 1000 + (:g * 7919) % 10000000
\set ppid 100000000000 + :g
\set eid 1000000000000 + :g
\set utr 200000000000 + :g
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
		SELECT :provider, :eid, delivery.id, (SELECT id FROM p), :ppid, :g, :raw_success, :succeeded, :utr, '', '', NULL, :ts, :amount, 'INR', '', :no FROM delivery
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
-- apply's batch: the payout, its ledger posting, its event, its audit entry
-- and the delivery's row, whole with its outcome, in one statement; the
-- UPDATE's RETURNING says whether an endpoint subscribes to payout.succeeded
-- (none here: no outbox statement follows)
WITH saved AS (UPDATE payouts SET status = :succeeded, utr = :utr, failure_code = '', failure_reason = '', fee_minor = NULL,
		provider_payout_id = :ppid,
		updated_at = CASE WHEN :yes THEN now() ELSE updated_at END,
		last_checked_at = CASE WHEN :no THEN now() ELSE last_checked_at END,
		last_answered_at = CASE WHEN :no THEN now() ELSE last_answered_at END,
		submitted_at = CASE WHEN :yes THEN coalesce(submitted_at, now()) ELSE submitted_at END,
		provider_state = :raw_success, provider_state_reason = '', pending_approval = :no
	WHERE id = :g RETURNING EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE cardinality(events) = 0 OR :event_succeeded = ANY (events)) AS subscribed),
postings AS (INSERT INTO ledger_postings (payout_id, kind, payout_created_at)
	SELECT :g, k, :in_created_at FROM unnest(:kinds_succeeded::text[]) AS k
	ON CONFLICT (payout_id, kind, payout_created_at) DO NOTHING RETURNING id, kind, payout_created_at),
w3 AS (INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
	SELECT l.id, l.payout_created_at, x.account, x.direction, x.amount, :in_currency
	FROM postings l JOIN unnest(:entry_kinds::text[], :entry_accounts::text[], :entry_directions::text[], :entry_amounts::bigint[])
		WITH ORDINALITY AS x(kind, account, direction, amount, n) ON x.kind = l.kind
	ORDER BY x.n),
w4 AS (INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
		failure_code, failure_reason, actor, observed_at, delivery_id)
	VALUES (:g, :webhook, :raw_success, :succeeded, :processing, :applied, :detail_applied, :utr, '', '', :provider, :ts, :in_delivery_id)),
w5 AS (INSERT INTO audit_log (actor, action, entity_type, entity_id, details) VALUES (:provider, :observe, :payout, :in_reference_id, :audit_applied)),
delivery AS (INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified, event_id,
			event_type, outcome, detail, payout_id)
		VALUES (:in_delivery_id, :provider, :headers, :body, :body_length, :body, :yes, :eid, :type_success, :applied, :detail_applied, :g) RETURNING id)
SELECT coalesce((SELECT subscribed FROM saved), false);
COMMIT;
