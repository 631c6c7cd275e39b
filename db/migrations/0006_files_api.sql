-- 0006: the files API (issue 13): trash, purge queue, unique live names, and the indexes that
-- listing, search and the sweeps use.
--
-- File states: 'uploading' -> 'available' <-> 'trashed' -> 'deleted' (or 'failed').
-- 'trashed' still counts in the owner's used bytes and file count; 'deleted' does not: such a row
-- is the durable purge queue of its object (the row goes once the object is gone), so no object
-- outlives its row and no live row points at a missing object.
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_status_check;
ALTER TABLE sluice.files ADD CONSTRAINT files_status_check
  CHECK (status IN ('uploading', 'available', 'trashed', 'failed', 'deleted'));
ALTER TABLE sluice.files ADD COLUMN IF NOT EXISTS trashed_at timestamptz NULL;

-- Names were not unique before: of each clash the newest file keeps the name and older ones get
-- " (first 8 hex digits of their id)" before the extension, so the index below can be built.
WITH ranked AS (
  SELECT id, name, row_number() OVER (PARTITION BY owner, path, name ORDER BY created_at DESC, id DESC) AS n
  FROM sluice.files WHERE status = 'available'
)
UPDATE sluice.files f
   SET name = left(r.name, 240) || ' (' || left(f.id::text, 8) || ')', updated_at = now()
  FROM ranked r
 WHERE f.id = r.id AND r.n > 1;

-- A live name is unique per owner and folder; it also serves folder listings sorted by name
-- (the database is initialised with --locale=C, so name order is byte order).
CREATE UNIQUE INDEX IF NOT EXISTS files_live_name_idx ON sluice.files (owner, path, name)
  WHERE status = 'available';
-- Replaced by the partial index above: nothing looks up files of other states by name, and
-- every index is one more write per upload.
DROP INDEX IF EXISTS sluice.files_owner_path_idx;
-- Folder listings in the default order (newest first); keyset cursor on (created_at, id).
CREATE INDEX IF NOT EXISTS files_live_folder_created_idx
  ON sluice.files (owner, path, created_at DESC, id DESC) WHERE status = 'available';
-- The trash, newest first.
CREATE INDEX IF NOT EXISTS files_trashed_idx ON sluice.files (owner, trashed_at DESC, id DESC)
  WHERE status = 'trashed';
-- Trash retention sweep across owners.
CREATE INDEX IF NOT EXISTS files_trash_retention_idx ON sluice.files (trashed_at) WHERE status = 'trashed';
-- Name search (q: case-insensitive contains) through trigrams; pg_trgm ships with PostgreSQL
-- and is a trusted extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS files_live_name_trgm_idx ON sluice.files USING gin (name gin_trgm_ops)
  WHERE status = 'available';
