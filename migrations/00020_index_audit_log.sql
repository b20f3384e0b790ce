-- +goose Up
-- The audit log page (/audit) lists entries newest first by id (the primary
-- key) and filters them by actor, action, entity and time; entities have
-- audit_log_entity since 00001.
-- An actor is matched by a case-insensitive prefix: text_pattern_ops lets
-- LIKE 'prefix%' use the index whatever the database's collation.
CREATE INDEX audit_log_by_actor ON audit_log (lower(actor) text_pattern_ops);
-- One action newest first is a backward scan of this index; it also lists
-- the actions that exist (a skip scan) for the page's select.
CREATE INDEX audit_log_by_action ON audit_log (action, id);
-- Dates: a day long ago with an action or actor, or the last hour, without
-- walking back through every newer entry.
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP INDEX audit_log_at;
DROP INDEX audit_log_by_action;
DROP INDEX audit_log_by_actor;
