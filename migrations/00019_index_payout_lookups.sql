-- +goose Up
-- Finding a payout from any reference (the search box, /payouts/{x}, the
-- API's lookups): each reading of a search is its own indexed lookup.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX payouts_by_provider_payout_id ON payouts (provider_payout_id) WHERE provider_payout_id IS NOT NULL;
CREATE INDEX payouts_by_utr ON payouts (utr) WHERE utr <> '';
CREATE INDEX payouts_by_beneficiary ON payouts (beneficiary_id);
CREATE INDEX payouts_by_amount ON payouts (currency, amount_minor);
CREATE INDEX webhook_events_by_event_id ON webhook_events (event_id);
CREATE INDEX webhook_deliveries_by_razorpay_event ON webhook_deliveries ((headers->>'X-Razorpay-Event-Id'))
    WHERE headers->>'X-Razorpay-Event-Id' IS NOT NULL;
CREATE INDEX beneficiaries_by_last4 ON beneficiaries (account_last4);
-- Part of a name, any case: trigrams.
CREATE INDEX beneficiaries_by_name ON beneficiaries USING gin (name gin_trgm_ops);
-- The list newest first by last change.
CREATE INDEX payouts_updated ON payouts (updated_at);

-- +goose Down
DROP INDEX payouts_updated;
DROP INDEX beneficiaries_by_name;
DROP INDEX beneficiaries_by_last4;
DROP INDEX webhook_deliveries_by_razorpay_event;
DROP INDEX webhook_events_by_event_id;
DROP INDEX payouts_by_amount;
DROP INDEX payouts_by_beneficiary;
DROP INDEX payouts_by_utr;
DROP INDEX payouts_by_provider_payout_id;
