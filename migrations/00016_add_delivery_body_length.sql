-- +goose Up
-- The length in bytes of a delivery's body as it arrived. A refused delivery
-- (no or a bad signature, or sent too long ago) keeps only the first 4 KiB
-- of its body, so an anonymous sender cannot fill the disk at 1 MiB a
-- request; this says how much there was. NULL for deliveries stored before,
-- whose body is whole: adding a column without a default rewrites nothing.
ALTER TABLE webhook_deliveries ADD COLUMN body_length BIGINT;

-- +goose Down
ALTER TABLE webhook_deliveries DROP COLUMN body_length;
