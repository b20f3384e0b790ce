-- +goose Up
-- A test token's payouts and the live ones are two reference spaces, as
-- Stripe keeps test and live objects apart: a reference taken in one is
-- free in the other. With one space, a test token could take a reference
-- the platform would later send live (its live payout then refused 409)
-- and learn from a 409 that a live payout had a reference. A reference is
-- unique per mode now; every lookup by reference names its mode (the API
-- the token's, the webhook endpoint and reconciliation the provider's,
-- the dashboard the "View test data" switch's first).
ALTER TABLE payouts DROP CONSTRAINT payouts_reference_id_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_reference_id_livemode_key UNIQUE (reference_id, livemode);

-- +goose Down
-- Refused while a reference is used in both modes: the unique constraint
-- cannot be made again until one of the two payouts is renamed by hand.
ALTER TABLE payouts DROP CONSTRAINT payouts_reference_id_livemode_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_reference_id_key UNIQUE (reference_id);
