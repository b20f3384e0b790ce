-- +goose NO TRANSACTION
-- +goose Up
-- Day-end reconciliation takes a provider's payouts *sent* that day
-- (submitted_at in the business day), not created that day: a payout held
-- at intake and released days later, or created before midnight and sent
-- after, was in no day's expected set, so had the provider never reported
-- it, no run would have flagged it missing. This index is that day's range
-- for one provider, live payouts only, as payouts_created was for the
-- creation day. Built CONCURRENTLY (payouts is written all day); an invalid
-- index of this name left by a failed build is dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS payouts_sent_live;
CREATE INDEX CONCURRENTLY payouts_sent_live ON payouts (provider, submitted_at) WHERE livemode AND submitted_at IS NOT NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS payouts_sent_live;
