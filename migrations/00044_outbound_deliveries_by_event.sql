-- +goose NO TRANSACTION
-- +goose Up
-- prune-outbound-webhooks (issue 19) deletes an outbound event with its
-- deliveries once it is past keeping: its deliveries are found, and the
-- foreign key from deliveries to events is checked on each event deleted,
-- by the event's id, which no index led with (the unique index is
-- (endpoint_id, event_id)): without this one each event deleted read the
-- whole table. One index entry more per outbound delivery written.
-- Built CONCURRENTLY: outbound_deliveries is written by webhook ingestion,
-- and a never-pruned outbox can be large. The migration is not recorded
-- until the build succeeds, so an index of this name left by a build that
-- failed half-way (invalid) is dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS outbound_deliveries_event;
CREATE INDEX CONCURRENTLY outbound_deliveries_event ON outbound_deliveries (event_id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS outbound_deliveries_event;
