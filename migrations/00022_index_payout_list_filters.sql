-- +goose Up
-- The payouts list filtered by state and provider over a range of days (the
-- overview's tiles, a provider's failures this week): its count reads the
-- matching index entries only, not every payout of the range (make bench:
-- a week's FAILED razorpayx payouts, 700 entries instead of 39,000 rows).
CREATE INDEX payouts_by_status_provider_created ON payouts (status, provider, created_at);

-- +goose Down
DROP INDEX payouts_by_status_provider_created;
