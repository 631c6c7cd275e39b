-- Thumbnails of image files (storage/service/thumbnails): the thumbnailer's queue and what it made.
--
-- A row is queued by the outbox itself: the trigger below runs in the transaction that writes a
-- 'file.uploaded' event, so a job exists exactly when the upload committed, whatever path
-- committed it, and the thumbnailer never depends on NATS or on the outbox's retention.
-- state:     pending (waiting, or retrying after a store error at next_attempt_at),
--            processing (claimed until claimed_until; a dead thumbnailer's claim lapses),
--            ready (variants made), failed (not a decodable image, or refused: error says why).
-- attempts:  store errors so far (image errors are not retried).
-- variants:  {"128": {"key": ..., "size": ..., "etag": ...}, ...}: the derived objects, stored
--            next to the original. They are removed by the purge (file_purge.cc) and not counted
--            in the owner's quota. The row goes with its file (ON DELETE CASCADE).
CREATE TABLE IF NOT EXISTS sluice.thumbnails (
  file_id         uuid        PRIMARY KEY REFERENCES sluice.files (id) ON DELETE CASCADE,
  state           text        NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'processing', 'ready', 'failed')),
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until   timestamptz NULL,
  width           integer     NULL,
  height          integer     NULL,
  format          text        NULL,
  variants        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variants) = 'object'),
  error           text        NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The queue: only jobs not finished, so ready and failed rows cost the claim nothing.
CREATE INDEX IF NOT EXISTS thumbnails_queue_idx ON sluice.thumbnails (next_attempt_at)
  WHERE state IN ('pending', 'processing');

-- The image types libvips reads here (notes/integrations.md §4). The content type is the one
-- the file was stored with; content that is not what it claims fails in the decoder.
CREATE OR REPLACE FUNCTION sluice.queue_thumbnail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF lower(btrim(split_part(NEW.payload->>'contentType', ';', 1))) IN
     ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/heic', 'image/heif',
      'image/avif') THEN
    INSERT INTO sluice.thumbnails (file_id) VALUES (NEW.aggregate_id::uuid) ON CONFLICT (file_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS events_queue_thumbnail ON sluice.events;
CREATE TRIGGER events_queue_thumbnail AFTER INSERT ON sluice.events
  FOR EACH ROW WHEN (NEW.kind = 'file.uploaded') EXECUTE FUNCTION sluice.queue_thumbnail();
