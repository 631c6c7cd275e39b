// The transactional outbox (sluice.events): the event rows other statements write in the same
// round trip as the change they announce, so an event exists exactly when its change committed.
#pragma once

// What a subscriber learns of a file, from a row source named f (sluice.files rows): enough to
// act without reading the row back, and no secret.
#define SLUICE_SQL_FILE_PAYLOAD                                                                     \
  "jsonb_build_object('owner', f.owner, 'size', f.size, 'key', f.object_key, 'path', f.path, "     \
  "'name', f.name, 'contentType', f.content_type)"

// A `kind` event (a string literal such as "file.trashed") for every row of a CTE named f
// returning sluice.files rows. Used as a data-modifying CTE: `e AS (` SLUICE_SQL_FILE_EVENT(...) `)`.
#define SLUICE_SQL_FILE_EVENT(kind)                                                                  \
  "INSERT INTO sluice.events (kind, aggregate_id, payload) "                                        \
  "SELECT '" kind "', f.id::text, " SLUICE_SQL_FILE_PAYLOAD " FROM f"

// 'file.uploaded': every commit of a file, streaming uploads and upload sessions alike.
#define SLUICE_SQL_FILE_UPLOADED_EVENT SLUICE_SQL_FILE_EVENT("file.uploaded")

// 'upload.aborted': an upload ended without a file, i.e. a CTE f of the files rows that just went
// from 'uploading' to 'failed' (a streaming or form upload that failed or lost its client, a
// session aborted or failed, the janitor giving up on either). Every such change goes through
// one of the three statements that write this (upload_sql::kFail, session_sql::kEndSession,
// session_sql::kFailOrphan). `reason` and `upload_id` are SQL expressions: 'aborted' (the client
// or the janitor gave up on a session) or 'failed'; the session id, or NULL for a streaming
// upload. The file's `size` is the declared size (0 when unknown).
#define SLUICE_SQL_UPLOAD_ABORTED_EVENT(reason, upload_id)                                          \
  "INSERT INTO sluice.events (kind, aggregate_id, payload) "                                        \
  "SELECT 'upload.aborted', f.id::text, " SLUICE_SQL_FILE_PAYLOAD                                   \
  " || jsonb_build_object('reason', " reason ", 'uploadId', " upload_id ") FROM f"
