-- 0010: share links (DESIGN §4 "Shares"). 0001 created sluice.shares; this adds what the
-- feature needs: a note, a password version (bumped on every password change so access tokens
-- issued for the old password stop working), the time of the last access, keyset listing, and
-- a fixed-window counter of wrong passwords per token and per client address.
-- allowDownload is the 'download' entry of permissions ('view' is always there).
ALTER TABLE sluice.shares ADD COLUMN IF NOT EXISTS note text NOT NULL DEFAULT ''
  CHECK (length(note) <= 1024);
ALTER TABLE sluice.shares ADD COLUMN IF NOT EXISTS password_version integer NOT NULL DEFAULT 0;
ALTER TABLE sluice.shares ADD COLUMN IF NOT EXISTS last_accessed_at timestamptz NULL;

-- GET /v1/shares: the owner's live shares by (created_at, id), and GET /v1/files/{id}/shares.
CREATE INDEX IF NOT EXISTS shares_owner_live_idx ON sluice.shares (owner, created_at DESC, id DESC)
  WHERE revoked_at IS NULL;

-- Wrong share passwords: one row per limited subject ('t:' || token hash, 'a:' || client
-- address), a counter for the minute that started at window_start. Rows are tiny and rewritten
-- in place; stale ones are harmless (the next attempt resets them).
CREATE TABLE IF NOT EXISTS sluice.share_unlock_attempts (
  subject      text        PRIMARY KEY,
  window_start timestamptz NOT NULL,
  attempts     integer     NOT NULL CHECK (attempts >= 0)
);
