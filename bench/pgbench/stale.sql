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
-- pgbench's own (not the endpoint's, and left out of the check): its
-- variables as the one-element arrays the endpoint sends
SELECT '{' || :eid || '}' AS eids, '{' || :ppid || '}' AS ppids, '{' || :g || '}' AS gs, '{' || :amount || '}' AS amounts \gset arr_
BEGIN;
SET LOCAL plan_cache_mode = force_generic_plan;
-- intake: each delivery's id, the match and the payout's lock, what apply
-- reads, and the dedupe, in one statement for a group of deliveries (here one)
WITH r AS (SELECT * FROM unnest((SELECT :providers::text[]), (SELECT :arr_eids::text[]), (SELECT :arr_ppids::text[]), (SELECT :arr_gs::text[]), (SELECT :processings::text[]), (SELECT :processings::text[]),
		(SELECT :empties::text[]), (SELECT :empties::text[]), (SELECT :empties::text[]), (SELECT :nulls::bigint[]), (SELECT :ats::timestamptz[]), (SELECT :arr_amounts::bigint[]), (SELECT :currencies::text[]), (SELECT :empties::text[]),
		(SELECT :falses::boolean[]))
		WITH ORDINALITY AS r(provider, event_id, ppid, ref, raw_status, status, utr, failure_code, failure_reason, fee_minor,
			observed_at, amount_minor, amount_currency, state_reason, pending_approval, n)),
	m AS (SELECT r.n, nextval('webhook_deliveries_id_seq') AS delivery_id,
		(SELECT id FROM payouts WHERE provider = r.provider AND r.ppid <> '' AND provider_payout_id = r.ppid
			UNION ALL
			SELECT id FROM payouts WHERE provider = r.provider AND r.ref <> '' AND reference_id = r.ref
				AND (provider_payout_id IS NULL OR r.ppid = '' OR provider_payout_id = r.ppid)
			LIMIT 1) AS payout_id
		FROM r ORDER BY r.n),
	p AS (SELECT id, reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
	failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval, created_at,
	submitted_at IS NOT NULL AS sent FROM payouts WHERE id = ANY (ARRAY(SELECT payout_id FROM m)) ORDER BY id
		FOR UPDATE),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT r.provider, r.event_id, m.delivery_id, p.id, r.ppid, r.ref, r.raw_status, r.status, r.utr, r.failure_code,
			r.failure_reason, r.fee_minor, r.observed_at, r.amount_minor, r.amount_currency, r.state_reason, r.pending_approval
		FROM r JOIN m ON m.n = r.n LEFT JOIN p ON p.id = m.payout_id ORDER BY r.n
		ON CONFLICT (provider, event_id) DO NOTHING RETURNING provider, event_id),
	f AS (SELECT w.provider, w.event_id, w.delivery_id, w.payout_id FROM webhook_events w
		WHERE w.event_id = ANY (ARRAY(SELECT event_id FROM r)) AND w.provider = ANY (ARRAY(SELECT provider FROM r)))
SELECT m.delivery_id, EXISTS (SELECT FROM e WHERE e.provider = r.provider AND e.event_id = r.event_id) AS new_event,
	f.delivery_id AS first_delivery_id, f.payout_id AS first_payout_id, p.id IS NOT NULL AS matched, coalesce(p.id, 0) AS id,
	coalesce(p.reference_id, '') AS reference_id, coalesce(p.provider, '') AS provider,
	coalesce(p.amount_minor, 0) AS amount_minor, coalesce(p.currency, '') AS currency, coalesce(p.status, '') AS status,
	p.provider_payout_id, coalesce(p.utr, '') AS utr, coalesce(p.failure_code, '') AS failure_code,
	coalesce(p.failure_reason, '') AS failure_reason, p.fee_minor, coalesce(p.livemode, false) AS livemode,
	coalesce(p.provider_state, '') AS provider_state, coalesce(p.provider_state_reason, '') AS provider_state_reason,
	coalesce(p.pending_approval, false) AS pending_approval, coalesce(p.created_at, 'epoch') AS created_at,
	coalesce(p.sent, false) AS sent
FROM r JOIN m ON m.n = r.n LEFT JOIN f ON f.provider = r.provider AND f.event_id = r.event_id
	LEFT JOIN p ON p.id = m.payout_id
ORDER BY r.n \gset in_
-- pgbench's own again: what intake found, as arrays
SELECT '{' || :in_delivery_id || '}' AS dids, '{"' || :in_created_at || '"}' AS created, '{"' || :in_reference_id || '"}' AS refs,
	'{' || :in_first_payout_id || '}' AS first_payouts \gset arr_
-- apply's write: the payout changes in nothing, so its row is not written;
-- the event, the audit entry and the delivery's row
WITH w1 AS (INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
			failure_code, failure_reason, actor, observed_at, delivery_id)
		SELECT x.payout_id, x.source, x.raw_status, x.status, x.previous, x.decision, x.detail, x.utr, x.failure_code,
			x.failure_reason, x.actor, x.observed_at, x.delivery_id
		FROM unnest((SELECT :arr_gs::bigint[]), (SELECT :webhooks::text[]), (SELECT :processings::text[]), (SELECT :processings::text[]), (SELECT :succeededs::text[]), (SELECT :stales::text[]), (SELECT :details_stale::text[]), (SELECT :empties::text[]), (SELECT :empties::text[]), (SELECT :empties::text[]), (SELECT :providers::text[]), (SELECT :ats::timestamptz[]), (SELECT :arr_dids::bigint[]))
			WITH ORDINALITY AS x(payout_id, source, raw_status, status, previous, decision, detail, utr, failure_code,
				failure_reason, actor, observed_at, delivery_id, n)
		ORDER BY x.n),
w2 AS (INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		SELECT x.actor, x.action, x.entity_type, x.entity_id, x.details FROM unnest((SELECT :providers::text[]), (SELECT :observes::text[]), (SELECT :payouts::text[]), (SELECT :arr_refs::text[]), (SELECT :audits_stale::jsonb[]))
			WITH ORDINALITY AS x(actor, action, entity_type, entity_id, details, n)
		ORDER BY x.n),
delivery AS (INSERT INTO webhook_deliveries (id, provider, headers, body, body_length, payload, verified,
			event_id, event_type, outcome, detail, payout_id)
		SELECT CASE WHEN x.id = 0 THEN nextval('webhook_deliveries_id_seq') ELSE x.id END, x.provider, x.headers, x.body,
			x.body_length, x.payload, x.verified, x.event_id, x.event_type, x.outcome, x.detail, x.payout_id
		FROM unnest((SELECT :arr_dids::bigint[]), (SELECT :providers::text[]), (SELECT :headerss::jsonb[]), (SELECT :bodies::bytea[]), (SELECT :body_lengths::bigint[]), (SELECT :payloads::text[]), (SELECT :trues::boolean[]), (SELECT :arr_eids::text[]), (SELECT :types_processing::text[]), (SELECT :stales::text[]), (SELECT :details_stale::text[]), (SELECT :arr_gs::bigint[]))
			WITH ORDINALITY AS x(id, provider, headers, body, body_length, payload, verified, event_id, event_type, outcome,
				detail, payout_id, n)
		ORDER BY x.n
		RETURNING id)
SELECT (SELECT max(id) FROM delivery) AS delivery;
COMMIT;
