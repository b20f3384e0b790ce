-- +goose Up
-- The settlement report a version was made from, as finance uploaded it: its
-- file name, size and SHA-256, so a signed-off day names the very file behind
-- it (and the audit log's recon.run too). NULL for a version from the
-- provider's list, and for versions uploaded before this migration.
ALTER TABLE recon_runs ADD COLUMN report_name TEXT, ADD COLUMN report_sha256 TEXT, ADD COLUMN report_bytes BIGINT;

-- +goose Down
ALTER TABLE recon_runs DROP COLUMN report_name, DROP COLUMN report_sha256, DROP COLUMN report_bytes;
