-- +goose Up
-- The delivery that started a downtime (its event id, or its body's hash):
-- the same start notice replayed after the downtime was resolved does not
-- open it again, even when it carries no time of its own (then it is dated
-- when it arrives).
ALTER TABLE provider_downtimes ADD COLUMN start_event_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE provider_downtimes DROP COLUMN start_event_id;
