-- 0003: what client-driven multipart sessions and the janitor need.
-- Heartbeats are rate-limited per user in a fixed one-minute window kept on the account row, so
-- the limit holds across cores and instances in the same statement that records the heartbeat.
ALTER TABLE sluice.accounts
  ADD COLUMN IF NOT EXISTS heartbeat_window timestamptz NOT NULL DEFAULT 'epoch';
ALTER TABLE sluice.accounts
  ADD COLUMN IF NOT EXISTS heartbeat_count integer NOT NULL DEFAULT 0 CHECK (heartbeat_count >= 0);

-- The local store's signed part route and the janitor's store sweep find a session by the
-- store's upload id.
CREATE INDEX IF NOT EXISTS uploads_s3_upload_idx ON sluice.uploads (s3_upload_id)
  WHERE s3_upload_id IS NOT NULL;
