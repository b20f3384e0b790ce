-- +goose Up
-- The grid, the overview and every day page count a version's open
-- differences; a large day has many closed ones.
CREATE INDEX recon_diffs_open ON recon_diffs (run_id) WHERE resolution = 'open';

-- +goose Down
DROP INDEX recon_diffs_open;
