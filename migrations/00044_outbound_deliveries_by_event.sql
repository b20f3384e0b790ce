-- +goose Up
-- prune-outbound-webhooks (issue 19) deletes an outbound event with its
-- deliveries once it is past keeping: its deliveries are found, and the
-- foreign key from deliveries to events is checked on each event deleted,
-- by the event's id, which no index led with (the unique index is
-- (endpoint_id, event_id)): without this one each event deleted read the
-- whole table. One index entry more per outbound delivery written.
CREATE INDEX outbound_deliveries_event ON outbound_deliveries (event_id);

-- +goose Down
DROP INDEX outbound_deliveries_event;
