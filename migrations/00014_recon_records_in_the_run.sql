-- +goose Up
-- +goose StatementBegin
-- A run's provider records move from a row each in recon_records into one
-- document in the run: JSON lines, gzip-compressed by payops (see
-- store/reconrecords.go). Writing a million rows and their indexes took
-- longer than the comparison itself (make bench); the records are evidence,
-- read back whole only to re-run an uploaded day. Runs made before this
-- keep their records as uncompressed JSON lines, which payops reads too.
ALTER TABLE recon_runs ADD COLUMN records BYTEA NOT NULL DEFAULT '';
-- Compressed already: PostgreSQL's own attempt only costs time.
ALTER TABLE recon_runs ALTER COLUMN records SET STORAGE EXTERNAL;
UPDATE recon_runs r SET records = convert_to(x.lines, 'UTF8')
FROM (SELECT run_id,
             string_agg(json_build_array(provider_payout_id, reference_id, amount_minor, currency, status, fee_minor,
                                         settled_at)::text, E'\n' ORDER BY id) AS lines
      FROM recon_records GROUP BY run_id) x
WHERE x.run_id = r.id;

-- A difference names its record by place in the run's records, from 1.
ALTER TABLE recon_diffs ADD COLUMN record_no INT;
UPDATE recon_diffs d SET record_no = x.n
FROM (SELECT id, row_number() OVER (PARTITION BY run_id ORDER BY id) AS n FROM recon_records) x
WHERE d.record_id = x.id;
ALTER TABLE recon_diffs DROP COLUMN record_id;
DROP TABLE recon_records;

-- A difference names a payout the reconciliation read in the same
-- transaction, and payouts are never deleted: checking the key row by row
-- doubled the time to store a day's differences (make bench).
ALTER TABLE recon_diffs DROP CONSTRAINT recon_diffs_payout_id_fkey;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE recon_diffs ADD CONSTRAINT recon_diffs_payout_id_fkey FOREIGN KEY (payout_id) REFERENCES payouts (id);
-- The table comes back empty: records compressed by payops cannot be
-- unpacked in SQL. Re-run a day to have its records again.
CREATE TABLE recon_records (
    id                 BIGSERIAL PRIMARY KEY,
    run_id             BIGINT NOT NULL,
    provider_payout_id TEXT NOT NULL DEFAULT '',
    reference_id       TEXT NOT NULL DEFAULT '',
    amount_minor       BIGINT NOT NULL,
    currency           CHAR(3) NOT NULL,
    status             TEXT NOT NULL,
    fee_minor          BIGINT,
    settled_at         TIMESTAMPTZ
);
CREATE INDEX recon_records_run ON recon_records (run_id);
ALTER TABLE recon_diffs DROP COLUMN record_no;
ALTER TABLE recon_diffs ADD COLUMN record_id BIGINT REFERENCES recon_records (id);
ALTER TABLE recon_runs DROP COLUMN records;
-- +goose StatementEnd
