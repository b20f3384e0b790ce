-- +goose Up
-- The time zone a user reads times in (an IANA name such as Asia/Kolkata);
-- '' for the business time zone.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN time_zone;
