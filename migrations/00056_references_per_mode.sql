-- +goose NO TRANSACTION
-- +goose Up
-- A test token's payouts and the live ones are two reference spaces, as
-- Stripe keeps test and live objects apart: a reference taken in one is
-- free in the other. With one space, a test token could take a reference
-- the platform would later send live (its live payout then refused 409)
-- and learn from a 409 that a live payout had a reference. A reference is
-- unique per mode now; every lookup by reference names its mode (the API
-- the token's, the webhook endpoint and reconciliation the provider's,
-- the dashboard the link's).
--
-- The new index is built CONCURRENTLY and then made the constraint, so
-- payouts' writers (every webhook) are held only for the swap, not for a
-- scan of the table; run again after a failure, a half-built index is
-- dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS payouts_reference_id_livemode_idx;
CREATE UNIQUE INDEX CONCURRENTLY payouts_reference_id_livemode_idx ON payouts (reference_id, livemode);
ALTER TABLE payouts DROP CONSTRAINT IF EXISTS payouts_reference_id_key,
	ADD CONSTRAINT payouts_reference_id_livemode_key UNIQUE USING INDEX payouts_reference_id_livemode_idx;

-- A test payout's audit entries are under its reference marked " (test)"
-- from now on (store.payoutEntity); those written before are under the bare
-- reference, which only one payout could have then. audit_log is append-only,
-- so they stay as they are: store.PayoutAudit reads entries up to this id
-- as the older payout's of the reference.
CREATE TABLE IF NOT EXISTS audit_entities_per_mode (
    from_id BIGINT NOT NULL  -- the first audit_log id after the bare references
);
INSERT INTO audit_entities_per_mode (from_id)
SELECT coalesce((SELECT max(id) FROM audit_log), 0) + 1
WHERE NOT EXISTS (SELECT 1 FROM audit_entities_per_mode);

-- +goose Down
-- Refused while a reference is used in both modes: the unique constraint
-- cannot be made again until one of the two payouts is renamed by hand.
DROP TABLE IF EXISTS audit_entities_per_mode;
ALTER TABLE payouts ADD CONSTRAINT payouts_reference_id_key UNIQUE (reference_id);
ALTER TABLE payouts DROP CONSTRAINT IF EXISTS payouts_reference_id_livemode_key;
