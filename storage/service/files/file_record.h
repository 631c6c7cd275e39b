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
  bool favorite = false;
  std::optional<std::string> expires_at;  // RFC 3339; purged then
  std::optional<std::string> trashed_at;  // set while status is "trashed"

  std::string to_json() const;
};

// Reads a row selected with SLUICE_SQL_FILE_COLUMNS (storage/service/files/file_queries.h).
Result<FileRecord> file_from_row(const PgResult& r, int row, int first_col = 0);

}  // namespace sluice
