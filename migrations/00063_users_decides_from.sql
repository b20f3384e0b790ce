-- +goose Up
-- When a user may first take a four-eyes decision (payout.GrantWait): set
-- when an admin gives a deciding role from the dashboard (adding the user,
-- changing their role, enabling them, making them a set-password link).
-- NULL: at once (users from before this migration, or from the command line).
ALTER TABLE users ADD COLUMN decides_from TIMESTAMPTZ;

-- +goose Down
ALTER TABLE users DROP COLUMN decides_from;
