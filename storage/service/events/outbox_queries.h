// The transactional outbox (sluice.events): the event rows other statements write in the same
// round trip as the change they announce, so an event exists exactly when its change committed.
#pragma once

// A `kind` event (a string literal such as "file.trashed") for every row of a CTE named f
// returning sluice.files rows. Used as a data-modifying CTE: `e AS (` SLUICE_SQL_FILE_EVENT(...) `)`.
// The payload is what a subscriber needs without reading the row back.
#define SLUICE_SQL_FILE_EVENT(kind)                                                                  \
  "INSERT INTO sluice.events (kind, aggregate_id, payload) "                                        \
  "SELECT '" kind "', f.id::text, jsonb_build_object('owner', f.owner, 'size', f.size, "             \
  "'key', f.object_key, 'path', f.path, 'name', f.name, 'contentType', f.content_type) "            \
  "FROM f"

// 'file.uploaded': every commit of a file, streaming uploads and upload sessions alike.
#define SLUICE_SQL_FILE_UPLOADED_EVENT SLUICE_SQL_FILE_EVENT("file.uploaded")
