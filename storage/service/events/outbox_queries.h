// The transactional outbox (sluice.events): the event rows other statements write in the same
// round trip as the change they announce, so an event exists exactly when its change committed.
#pragma once

// 'file.uploaded' for every row of a CTE named f returning the committed sluice.files row(s).
// Used as a data-modifying CTE (`e AS (` SLUICE_SQL_FILE_UPLOADED_EVENT `)`) by every commit of
// a file: streaming uploads and upload sessions alike.
#define SLUICE_SQL_FILE_UPLOADED_EVENT                                                                \
  "INSERT INTO sluice.events (kind, aggregate_id, payload) "                                         \
  "SELECT 'file.uploaded', f.id::text, jsonb_build_object('owner', f.owner, 'size', f.size, 'key', f.object_key) " \
  "FROM f"
