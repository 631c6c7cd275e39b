// FormFields: the text fields of a multipart/form-data upload (path, visibility, tags,
// metadata, onConflict), checked as they arrive and applied to the file parts that follow them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/api/api_error.h"
#include "storage/service/files/name_conflict.h"

namespace sluice {

struct FormFieldLimits {
  size_t max_field_bytes = 64 * 1024;     // any text field
  size_t max_metadata_bytes = 16 * 1024;  // the metadata JSON object
  size_t max_tags = 64;                   // as the files table allows
  size_t max_tag_bytes = 128;
};

class FormFields {
 public:
  explicit FormFields(FormFieldLimits limits = {}) : limits_(limits) {}

  // The most bytes a field of this name may have (callers stop reading past it: 413).
  size_t limit_for(std::string_view name) const;
  // Checks and applies one field; the refusal (400) when its value is not acceptable. Unknown
  // names are ignored, as forms carry other inputs (a submit button's value...).
  std::optional<ApiError> apply(std::string_view name, std::string_view value);
  // A file part took the current fields: tags sent after it start a new list for the next file
  // (path, visibility and metadata carry over until changed).
  void file_taken() { tags_taken_ = true; }

  const std::string& path() const { return path_; }
  const std::string& visibility() const { return visibility_; }
  const std::vector<std::string>& tags() const { return tags_; }
  const std::string& metadata_json() const { return metadata_; }
  service::OnConflict on_conflict() const { return on_conflict_; }

 private:
  std::optional<ApiError> add_tags(std::string_view value);

  FormFieldLimits limits_;
  std::string path_ = "/";
  std::string visibility_ = "private";
  std::vector<std::string> tags_;
  std::string metadata_ = "{}";
  service::OnConflict on_conflict_ = service::OnConflict::fail;
  bool tags_taken_ = false;
};

// Checks that `json` is one JSON object that PostgreSQL's jsonb accepts (valid UTF-8, no \u0000).
std::optional<std::string> metadata_problem(std::string_view json);

}  // namespace sluice
