-- Benchmark 1, pgbench's side: a NEW event, the first delivery of a SUCCESS
-- webhook for a PROCESSING payout, which the endpoint applies. These are the
-- statements POST /webhooks/sandbox runs for it (store.IngestWebhook and the
-- functions it calls, named below), in its order and with its SQL: each $n
-- is a pgbench variable, or the '' or NULL the endpoint sends there. bench
-- checks them against the endpoint's own before running them.
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
-- insertDelivery
INSERT INTO webhook_deliveries (provider, headers, body, body_length, payload, verified, event_id, event_type,
		outcome, detail, payout_id)
	VALUES (:provider, :headers, :body, :body_length, :body, :yes, :eid, :type_success, :orphan, '', NULL) RETURNING id \gset delivery_
-- IngestWebhook: dedupe on (provider, event id)
INSERT INTO webhook_events (provider, event_id, delivery_id, provider_payout_id, reference_id, raw_status, status,
		utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency, state_reason,
		pending_approval)
	VALUES (:provider, :eid, :delivery_id, :ppid, :g, :raw_success, :succeeded, :utr, '', '', NULL, :ts, :amount, 'INR', '', :no)
	ON CONFLICT (provider, event_id) DO NOTHING;
-- matchPayout
SELECT id, reference_id FROM payouts WHERE provider = :provider AND provider_payout_id = :ppid FOR UPDATE;
-- IngestWebhook: link the event
UPDATE webhook_events SET payout_id = :g WHERE provider = :provider AND event_id = :eid;
-- apply
SELECT reference_id, provider, amount_minor, currency, status, provider_payout_id, utr, failure_code,
		failure_reason, fee_minor, livemode, provider_state, provider_state_reason, pending_approval
	FROM payouts WHERE id = :g \gset p_
UPDATE payouts SET status = :succeeded, utr = :utr, failure_code = '', failure_reason = '', fee_minor = NULL,
		provider_payout_id = :ppid,
		updated_at = CASE WHEN :yes THEN now() ELSE updated_at END,
		last_checked_at = CASE WHEN :no THEN now() ELSE last_checked_at END,
		last_answered_at = CASE WHEN :no THEN now() ELSE last_answered_at END,
		submitted_at = CASE WHEN :yes THEN coalesce(submitted_at, now()) ELSE submitted_at END,
		provider_state = :raw_success, provider_state_reason = '', pending_approval = :no
	WHERE id = :g
	-- saveApplied: does an endpoint subscribe to payout.succeeded? (none here: no outbox statement follows)
	RETURNING EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE disabled_at IS NULL AND (cardinality(events) = 0 OR :event_succeeded = ANY (events)));
-- postOutcome: the succeeded posting
INSERT INTO ledger_postings (payout_id, kind, payout_created_at)
	SELECT id, :kind_succeeded, created_at FROM payouts WHERE id = :g
	ON CONFLICT (payout_id, kind, payout_created_at) DO NOTHING RETURNING id, payout_created_at \gset posting_
INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
	VALUES (:posting_id, :posting_payout_created_at, :payable, :debit, :p_amount_minor, :p_currency);
INSERT INTO ledger_entries (posting_id, payout_created_at, account, direction, amount_minor, currency)
	VALUES (:posting_id, :posting_payout_created_at, :settlement, :credit, :p_amount_minor, :p_currency);
-- insertEvent
INSERT INTO payout_events (payout_id, source, raw_status, status, previous, decision, detail, utr,
		failure_code, failure_reason, actor, observed_at, delivery_id)
	VALUES (:g, :webhook, :raw_success, :succeeded, :processing, :applied, :detail_applied, :utr, '', '', :provider, :ts, :delivery_id);
-- audit
INSERT INTO audit_log (actor, action, entity_type, entity_id, details) VALUES (:provider, :observe, :payout, :p_reference_id, :audit_applied);
-- finishDelivery
UPDATE webhook_deliveries SET outcome = :applied, detail = :detail_applied, payout_id = :g
    WHERE id = :delivery_id AND received_at = now();
COMMIT;
