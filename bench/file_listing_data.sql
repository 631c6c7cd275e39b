-- Data for bench/file_listing.sh: one user ("bench") owning 1,000,000 live files in 1,000
-- folders (/d0../d9, each with /s00../s99: 1,000 files per folder), plus a second user with
-- 100,000 files and 20,000 trashed files of the first user, so the owner and status conditions
-- have rows to skip. Rows only: listing never touches the objects.
\set ON_ERROR_STOP on
INSERT INTO sluice.accounts (user_id, tier) VALUES ('bench', 'unlimited'), ('bench-other', 'unlimited')
  ON CONFLICT DO NOTHING;
-- i = 0..999,999: folder i / 1000 (so each folder's files were created together, as uploads are),
-- newest first with falling i; names "report-<i>-<word>.<ext>".
INSERT INTO sluice.files (owner, object_key, path, name, size, content_type, status, visibility, tags, favorite,
                          created_at, updated_at)
SELECT 'bench', 'u/bench/' || i, '/d' || (i / 1000) % 10 || '/s' || lpad(((i / 1000) / 10)::text, 2, '0'),
       (ARRAY['report', 'photo', 'invoice', 'notes', 'backup', 'song'])[1 + i % 6] || '-' || i ||
         (ARRAY['-alpha', '-bravo', '-charlie', '-delta', '-echo', '-foxtrot', '-golf'])[1 + i % 7] ||
         (ARRAY['.pdf', '.jpg', '.png', '.txt', '.zip', '.mp3', '.mp4'])[1 + i % 7],
       (hashint) % 50000000,
       (ARRAY['application/pdf', 'image/jpeg', 'image/png', 'text/plain', 'application/zip', 'audio/mpeg', 'video/mp4'])[1 + i % 7],
       'available', CASE WHEN i % 10 = 0 THEN 'public' ELSE 'private' END,
       CASE WHEN i % 100 = 0 THEN ARRAY['red', 'blue'] WHEN i % 10 = 0 THEN ARRAY['red'] WHEN i % 3 = 0 THEN ARRAY['green'] ELSE '{}'::text[] END,
       i % 20 = 0,
       ts, ts + (hashint % 1000000) * interval '1 millisecond'
  FROM generate_series(0, 999999) i,
       LATERAL (SELECT abs(hashtext(i::text))::bigint AS hashint,
                       timestamptz '2026-11-01 00:00:00+00' + i * interval '2 seconds' + (i % 997) * interval '1 microsecond' AS ts) h;
INSERT INTO sluice.files (owner, object_key, path, name, size, content_type, status, created_at, updated_at)
SELECT 'bench-other', 'u/other/' || i, '/d' || i % 10, 'other-' || i || '.bin', i, 'application/octet-stream', 'available',
       timestamptz '2026-11-01 00:00:00+00' + i * interval '20 seconds', timestamptz '2026-11-01 00:00:00+00' + i * interval '20 seconds'
  FROM generate_series(0, 99999) i;
INSERT INTO sluice.files (owner, object_key, path, name, size, content_type, status, trashed_at, created_at, updated_at)
SELECT 'bench', 'u/bench/t' || i, '/d' || i % 10 || '/s00', 'trashed-' || i || '.bin', i, 'application/octet-stream', 'trashed',
       now(), timestamptz '2026-11-01 00:00:00+00' + i * interval '100 seconds', now()
  FROM generate_series(0, 19999) i;
UPDATE sluice.accounts a SET used_bytes = s.b, file_count = s.n
  FROM (SELECT owner, sum(size) AS b, count(*) AS n FROM sluice.files GROUP BY owner) s WHERE s.owner = a.user_id;
VACUUM ANALYZE sluice.files;
