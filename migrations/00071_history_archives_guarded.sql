-- +goose Up
-- +goose StatementBegin
-- An archive's record is the only proof of what left the database: the
-- file, its SHA-256 and row count. Deleting one makes its month
-- unrestorable (restore finds the file by the checksum recorded here), and
-- changing one would make a damaged or another file pass. So a record is
-- never deleted, and of its columns only where it was last restored to
-- (restored_table, restored_at) changes.
CREATE FUNCTION history_archives_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'history_archives: an archive''s record is never deleted: % refused', TG_OP;
    END IF;
    IF (NEW.id, NEW.table_name, NEW.month, NEW.file, NEW.sha256, NEW.rows, NEW.bytes, NEW.archived_at)
        IS DISTINCT FROM (OLD.id, OLD.table_name, OLD.month, OLD.file, OLD.sha256, OLD.rows, OLD.bytes, OLD.archived_at) THEN
        RAISE EXCEPTION 'history_archives: only where an archive was restored to changes';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER history_archives_guard BEFORE UPDATE OR DELETE ON history_archives
    FOR EACH ROW EXECUTE FUNCTION history_archives_guard();
CREATE TRIGGER history_archives_no_truncate BEFORE TRUNCATE ON history_archives
    FOR EACH STATEMENT EXECUTE FUNCTION history_archives_guard();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER history_archives_no_truncate ON history_archives;
DROP TRIGGER history_archives_guard ON history_archives;
DROP FUNCTION history_archives_guard();
-- +goose StatementEnd
