-- Benchmark 1, pgbench's side: a DUPLICATE, a new event of this client's
-- (or the one bench ingested for it before the run) delivered again. The
-- statements POST /webhooks/sandbox runs for it (see new.sql).
\set k random(0, :n)
\set i :start + :k * :clients + :client_id
\set g :i / 3 * 10 + 1 + :i % 3
-- the payout's seeded amount, which the webhook states (bench/seed.go)
\set amount 1000 + (:g * 7919) % 10000000
\set ppid 100000000000 + :g
\set eid 1000000000000 + :g
\set utr 200000000000 + :g
BEGIN;
-- insertDelivery
INSERT INTO webhook_deliveries (provider, headers, body, body_length, payload, verified, event_id, event_type,
		outcome, detail, payout_id)
	VALUES (:provider, :headers, :body, :body_length, :body, :yes, :eid, :type_success, :orphan, '', NULL) RETURNING id \gset delivery_
-- IngestWebhook: dedupe on (provider, event id): a conflict
INSERT INTO webhook_events (provider, event_id, delivery_id, provider_payout_id, reference_id, raw_status, status,
		utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency, state_reason,
		pending_approval)
	VALUES (:provider, :eid, :delivery_id, :ppid, :g, :raw_success, :succeeded, :utr, '', '', NULL, :ts, :amount, 'INR', '', :no)
	ON CONFLICT (provider, event_id) DO NOTHING;
-- IngestWebhook: the first delivery of the event
SELECT delivery_id, payout_id FROM webhook_events WHERE provider = :provider AND event_id = :eid;
-- finishDelivery
UPDATE webhook_deliveries SET outcome = :duplicate, detail = :detail_duplicate, payout_id = :g
    WHERE id = :delivery_id AND received_at = now();
COMMIT;
