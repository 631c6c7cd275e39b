#include "storage/api/form_fields.h"

#include <simdjson.h>

#include <algorithm>

#include "core/utf8.h"
#include "storage/service/files/path_rules.h"

namespace sluice {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

}  // namespace

std::optional<std::string> metadata_problem(std::string_view json) {
  if (!valid_utf8(json)) return "metadata is not valid UTF-8";
  // jsonb cannot hold a NUL character (its text type has none).
  if (json.find("\\u0000") != std::string_view::npos) return "metadata must not contain \\u0000";
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err != simdjson::SUCCESS) {
    return "metadata is not valid JSON: " + std::string(simdjson::error_message(err));
  }
  if (!doc.is_object()) return "metadata must be a JSON object";
  return std::nullopt;
}

size_t FormFields::limit_for(std::string_view name) const {
  return name == "metadata" ? limits_.max_metadata_bytes : limits_.max_field_bytes;
}

std::optional<ApiError> FormFields::add_tags(std::string_view value) {
  if (tags_taken_) {
    tags_.clear();
    tags_taken_ = false;
  }
  if (!valid_utf8(value))
    return ApiError(400, "invalid_tags", "tags must be valid UTF-8");
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view tag = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    if (tag.empty()) continue;
    if (tag.size() > limits_.max_tag_bytes || has_control(tag))
      return ApiError(400, "invalid_tags",
                      "a tag must be 1.." + std::to_string(limits_.max_tag_bytes) +
                          " bytes without control characters");
    if (std::find(tags_.begin(), tags_.end(), tag) != tags_.end()) continue;
    if (tags_.size() >= limits_.max_tags)
      return ApiError(400, "invalid_tags", "a file may have at most " + std::to_string(limits_.max_tags) + " tags");
    tags_.emplace_back(tag);
  }
  return std::nullopt;
}

std::optional<ApiError> FormFields::apply(std::string_view name, std::string_view value) {
  if (name == "path") {
    auto path = normalize_virtual_path(value);
    if (!path.ok()) return ApiError(400, "invalid_path", path.error().message);
    path_ = std::move(*path);
  } else if (name == "visibility") {
    if (value != "private" && value != "public")
      return ApiError(400, "invalid_visibility", "visibility must be private or public");
    visibility_ = std::string(value);
  } else if (name == "onConflict") {
    auto mode = service::parse_on_conflict(value);
    if (!mode.ok()) return api_error_from(mode.error());
    on_conflict_ = *mode;
  } else if (name == "tags") {
    return add_tags(value);
  } else if (name == "metadata") {
    if (value.size() > limits_.max_metadata_bytes)
      return ApiError(413, "field_too_large",
                      "metadata exceeds " + std::to_string(limits_.max_metadata_bytes) + " bytes");
    std::string_view text = trim(value);
    if (text.empty()) text = "{}";
    if (auto problem = metadata_problem(text)) return ApiError(400, "invalid_metadata", *problem);
    metadata_ = std::string(text);
  }
  return std::nullopt;
}

}  // namespace sluice
