-- +goose Up
-- A search by the beneficiary's name, the account's last four digits or an
-- amount matches hundreds or thousands of payouts on a big table (a whole
-- name is about one payout in 4,000), and the page wants the newest 50 and
-- how many there are. With these indexes carrying each payout's id, creation
-- and mode, the matches are read from the index alone (an index-only scan:
-- the table's pages are all visible but the last changed ones), and only the
-- page's 50 rows from the table — not every match, twice.
CREATE INDEX payouts_by_beneficiary_covering ON payouts (beneficiary_id) INCLUDE (id, created_at, livemode);
DROP INDEX payouts_by_beneficiary;
ALTER INDEX payouts_by_beneficiary_covering RENAME TO payouts_by_beneficiary;
CREATE INDEX payouts_by_amount_covering ON payouts (currency, amount_minor) INCLUDE (id, created_at, livemode);
DROP INDEX payouts_by_amount;
ALTER INDEX payouts_by_amount_covering RENAME TO payouts_by_amount;

-- +goose Down
DROP INDEX payouts_by_amount;
CREATE INDEX payouts_by_amount ON payouts (currency, amount_minor);
DROP INDEX payouts_by_beneficiary;
CREATE INDEX payouts_by_beneficiary ON payouts (beneficiary_id);
