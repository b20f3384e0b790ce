-- +goose Up
-- The notify job sent the notices it read under its job lock alone: after
-- the lock was lost (a database failover cuts the session holding it) a
-- second instance could run the job beside the first and send the same
-- pending notices again. A run now claims the notices it will try for a
-- lease (store.ClaimNotices); another run passes over them until the lease
-- ends, and recording a try (or giving back an untried notice) ends it.
ALTER TABLE notifications ADD COLUMN claimed_until TIMESTAMPTZ;

-- +goose Down
ALTER TABLE notifications DROP COLUMN claimed_until;
