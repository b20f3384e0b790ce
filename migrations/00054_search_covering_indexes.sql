-- +goose NO TRANSACTION
-- +goose Up
-- A search by the beneficiary's name, the account's last four digits or an
-- amount matches hundreds or thousands of payouts on a big table (a whole
-- name is about one payout in 4,000), and the page wants the newest 50 and
-- how many there are. With these indexes carrying each payout's id, creation
-- and mode, the matches are read from the index alone (an index-only scan:
-- the table's pages are all visible but the last changed ones), and only the
-- page's 50 rows from the table — not every match, twice.
--
-- Built CONCURRENTLY, the old ones dropped so: payouts is written by every
-- webhook, and neither build nor drop may hold its writers (nor, taking one
-- lock after another, deadlock with them). The migration is not recorded
-- until it all succeeds, so it is run again from the top after a failure:
-- a half-built index of the new name is dropped and built again, and an old
-- index already replaced is the covering one by then, which is then built
-- once more and renamed as before.
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_beneficiary_covering;
CREATE INDEX CONCURRENTLY payouts_by_beneficiary_covering ON payouts (beneficiary_id) INCLUDE (id, created_at, livemode);
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_beneficiary;
ALTER INDEX payouts_by_beneficiary_covering RENAME TO payouts_by_beneficiary;
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_amount_covering;
CREATE INDEX CONCURRENTLY payouts_by_amount_covering ON payouts (currency, amount_minor) INCLUDE (id, created_at, livemode);
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_amount;
ALTER INDEX payouts_by_amount_covering RENAME TO payouts_by_amount;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_amount;
CREATE INDEX CONCURRENTLY payouts_by_amount ON payouts (currency, amount_minor);
DROP INDEX CONCURRENTLY IF EXISTS payouts_by_beneficiary;
CREATE INDEX CONCURRENTLY payouts_by_beneficiary ON payouts (beneficiary_id);
