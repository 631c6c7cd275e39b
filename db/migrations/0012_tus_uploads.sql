-- 0012: tus 1.0 uploads (issue 17). A tus upload is a multipart session (sluice.uploads, its
-- reservation, lease, parts and commit) plus what tus adds: the offset the client resumes from,
-- whether the length is known yet (creation-defer-length), the metadata as sent (HEAD echoes
-- it), and the tail segments: store objects "<object key>.tus/<start>" holding the bytes past
-- the last full part, listed by their start offsets (ascending; each ends where the next starts,
-- the last at upload_offset). HEAD reads only this row: no store call.
CREATE TABLE IF NOT EXISTS sluice.tus_uploads (
  upload_id     uuid     PRIMARY KEY REFERENCES sluice.uploads (id) ON DELETE CASCADE,
  upload_offset bigint   NOT NULL DEFAULT 0 CHECK (upload_offset >= 0),
  length_known  boolean  NOT NULL,
  metadata      text     NOT NULL DEFAULT '',
  segments      bigint[] NOT NULL DEFAULT '{}'
);
