-- 0008: an upload session remembers what its complete does when a live file has its name
-- (onConflict, DESIGN §4): the complete may run on another instance, or in the janitor.
ALTER TABLE sluice.uploads ADD COLUMN IF NOT EXISTS on_conflict text NOT NULL DEFAULT 'fail'
  CHECK (on_conflict IN ('fail', 'replace', 'rename'));
