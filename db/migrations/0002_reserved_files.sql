-- Files in flight count against an account's file limit, atomically with the byte reservation:
-- a reservation takes one file slot here and gives it back on commit (file_count + 1) or failure.
ALTER TABLE sluice.accounts
  ADD COLUMN IF NOT EXISTS reserved_files bigint NOT NULL DEFAULT 0 CHECK (reserved_files >= 0);
