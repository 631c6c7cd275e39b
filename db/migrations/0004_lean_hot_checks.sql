-- 0004: the upload path writes sluice.accounts twice and sluice.files twice per upload, and
-- PostgreSQL re-reads every CHECK constraint of a table from its catalog text and compiles it
-- again on each INSERT or UPDATE statement (ExecRelCheck: stringToNode + ExecPrepareExpr per
-- query). Measured with bench/uploads scenario (c) (10,000 x 64 KiB, Sluice alone): PostgreSQL
-- took 58% of the machine, 6.3% of it reading constraint node trees (4.2% after this
-- migration: the checks that stay); with every CHECK of accounts, files and
-- events gone Sluice moved 3,038 uploads/s against 2,388; with the drops below, 2,641-2,762
-- against 2,275-2,431.
-- These format rules are enforced by Sluice before any statement runs (the JWT subject and
-- user-id checks, virtual path and file name validation, content-type limits; object keys and
-- digests are produced by Sluice itself), so the database repeats them at a price. The checks
-- only the database can enforce stay: counters never negative, status and visibility values,
-- deleted_at for deleted files, and the tag and metadata shapes.
ALTER TABLE sluice.accounts DROP CONSTRAINT IF EXISTS accounts_user_id_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_object_key_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_path_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_name_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_content_type_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_md5_check;
ALTER TABLE sluice.files DROP CONSTRAINT IF EXISTS files_sha256_check;
