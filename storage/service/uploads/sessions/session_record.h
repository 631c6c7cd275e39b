// SessionRecord: one client-driven multipart session (a row of sluice.uploads with its file's
// object key), as the routes and the janitor read it, and the part layout it promised the client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "db/pg_result.h"
#include "storage/store/object_store.h"

namespace sluice {

struct SessionRecord {
  std::string id;
  std::string file_id;
  std::string owner;
  std::string object_key;
  std::optional<std::string> store_upload_id;  // null until the store's upload exists
  uint64_t part_size = 0;
  uint64_t declared_size = 0;
  uint32_t total_parts = 0;
  uint64_t reserved_bytes = 0;
  std::string state;  // active, completing, completed, aborted, failed
  std::string expires_at;
  std::string created_at;
  std::string content_type;
  std::string file_status;
  std::string on_conflict = "fail";  // what the complete does if a live file has the name
  std::string path;                  // the file's folder and name (its name may change at commit)
  std::string name;

  // The exact size part `number` must have (every part but the last is part_size); 0 when the
  // number is outside 1..total_parts.
  uint64_t expected_part_size(uint32_t number) const;
  bool active() const { return state == "active"; }
  // The session's JSON for GET /v1/uploads/{id}: state, layout and the parts received.
  std::string to_json(const std::vector<PartInfo>& parts) const;
};

// Why a session in `state` cannot take what was asked (it had to be active): its state as the
// reason (upload_aborted, upload_completing...), with `message`.
Error session_not_active(const std::string& state, std::string message);

// Reads a row selected with session_sql's session columns.
Result<SessionRecord> session_from_row(const PgResult& r, int row);

// Etags compare without quotes and case-insensitively (S3 returns them quoted; MD5 hex).
std::string normalize_etag(std::string_view etag);

}  // namespace sluice
