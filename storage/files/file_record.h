// FileRecord: a row of sluice.files as the API shows it, read from a query result and written
// as the file's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "db/pg_result.h"

namespace sluice {

struct FileRecord {
  std::string id;
  std::string owner;
  std::string object_key;
  std::string path;
  std::string name;
  uint64_t size = 0;
  std::string content_type;
  std::optional<std::string> md5;
  std::optional<std::string> sha256;
  std::optional<std::string> etag;
  std::string status;
  std::string visibility;
  std::vector<std::string> tags;
  std::string metadata_json = "{}";
  std::string created_at;
  std::string updated_at;

  std::string to_json() const;
};

// The column list every query returning files selects, in the order from_row() reads.
inline constexpr const char* kFileColumns =
    "id::text, owner, object_key, path, name, size, content_type, md5, sha256, etag, status, visibility, "
    "tags, metadata::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

Result<FileRecord> file_from_row(const PgResult& r, int row, int first_col = 0);

}  // namespace sluice
