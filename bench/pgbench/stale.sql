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
-- insertDelivery
INSERT INTO webhook_deliveries (provider, headers, body, body_length, payload, verified, event_id, event_type,
		outcome, detail, payout_id)
	VALUES (:provider, :headers, :body, :body_length, :body, :yes, :eid, :type_processing, :orphan, '', NULL) RETURNING id \gset delivery_
-- IngestWebhook: dedupe on (provider, event id)
INSERT INTO webhook_events (provider, event_id, delivery_id, provider_payout_id, reference_id, raw_status, status,
		utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency, state_reason,
		pending_approval)
	VALUES (:provider, :eid, :delivery_id, :ppid, :g, :processing, :processing, '', '', '', NULL, :ts, :amount, 'INR', '', :no)
	ON CONFLICT (provider, event_id) DO NOTHING;
-- matchPayout
SELECT id, reference_id FROM payouts WHERE provider = :provider AND provider_payout_id = :ppid FOR UPDATE;
-- IngestWebhook: link the event
UPDATE webhook_events SET payout_id = :g WHERE provider = :provider AND event_id = :eid;
-- apply: the row is written back as it was
SELECT reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
		failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval
	FROM payouts WHERE id = :g \gset p_
UPDATE payouts SET status = :p_status, utr = :p_utr, failure_code = '', failure_reason = '', fee_minor = NULL,
		provider_payout_id = :ppid,
		updated_at = CASE WHEN :no THEN now() ELSE updated_at END,
		last_checked_at = CASE WHEN :no THEN now() ELSE last_checked_at END,
		last_answered_at = CASE WHEN :no THEN now() ELSE last_answered_at END,
		submitted_at = CASE WHEN :yes THEN coalesce(submitted_at, now()) ELSE submitted_at END,
		provider_state = :p_provider_state, provider_state_reason = :p_provider_state_reason,
		pending_approval = :p_pending_approval
	WHERE id = :g;
-- insertEvent
INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
		failure_code, failure_reason, actor, observed_at, delivery_id)
	VALUES (:g, :webhook, :processing, :processing, :p_status, :stale, :detail_stale, '', '', '', :provider, :ts, :delivery_id);
-- audit
INSERT INTO audit_log (actor, action, entity_type, entity_id, details) VALUES (:provider, :observe, :payout, :p_reference_id, :audit_stale);
-- finishDelivery
UPDATE webhook_deliveries SET outcome = :stale, detail = :detail_stale, payout_id = :g
    WHERE id = :delivery_id AND received_at = now();
COMMIT;
