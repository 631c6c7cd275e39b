#include "storage/api/file_patch_request.h"

#include <simdjson.h>

#include <algorithm>

#include "core/utf8.h"
#include "storage/api/form_fields.h"
#include "storage/api/json_body.h"
#include "storage/service/auth/rfc3339.h"
#include "storage/service/files/path_rules.h"

namespace sluice {

namespace {

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// Tags as the form upload takes them (FormFieldLimits): 1..128 bytes of UTF-8 without control
// characters each, at most 64, duplicates dropped. null clears them.
std::optional<ApiError> read_tags(simdjson::dom::element v, std::vector<std::string>& out) {
  const FormFieldLimits limits;
  if (v.is_null()) return std::nullopt;
  simdjson::dom::array list;
  if (v.get_array().get(list) != simdjson::SUCCESS) return ApiError(400, "invalid_tags", "tags must be an array of strings");
  for (simdjson::dom::element item : list) {
    std::string_view tag;
    if (item.get_string().get(tag) != simdjson::SUCCESS)
      return ApiError(400, "invalid_tags", "tags must be an array of strings");
    if (tag.empty() || tag.size() > limits.max_tag_bytes || has_control(tag) || !valid_utf8(tag))
      return ApiError(400, "invalid_tags",
                      "a tag must be 1.." + std::to_string(limits.max_tag_bytes) +
                          " bytes of UTF-8 without control characters");
    if (std::find(out.begin(), out.end(), tag) != out.end()) continue;
    if (out.size() >= limits.max_tags)
      return ApiError(400, "invalid_tags", "a file may have at most " + std::to_string(limits.max_tags) + " tags");
    out.emplace_back(tag);
  }
  return std::nullopt;
}

std::optional<ApiError> read_metadata(simdjson::dom::element v, std::string& out) {
  if (!v.is_object())
    return ApiError(400, "invalid_metadata", "metadata must be a JSON object (a member set to null removes that key)");
  out = simdjson::minify(v);
  if (out.size() > service::kMaxMetadataBytes)
    return ApiError(400, "invalid_metadata",
                    "metadata exceeds " + std::to_string(service::kMaxMetadataBytes) + " bytes");
  if (auto problem = metadata_problem(out)) return ApiError(400, "invalid_metadata", *problem);
  return std::nullopt;
}

}  // namespace

std::variant<service::FilePatch, ApiError> parse_file_patch(const std::string& body, int64_t now_ms) {
  simdjson::dom::parser parser;
  auto parsed = parse_json_object(parser, body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return std::move(*e);
  service::FilePatch p;
  for (auto field : std::get<simdjson::dom::object>(parsed)) {
    std::string_view key = field.key;
    simdjson::dom::element v = field.value;
    std::string_view text;
    if (key == "name") {
      if (v.get_string().get(text) != simdjson::SUCCESS) return ApiError(400, "invalid_name", "name must be a string");
      auto name = validate_file_name(text);
      if (!name.ok()) return ApiError(400, "invalid_name", name.error().message);
      p.name = std::move(*name);
    } else if (key == "path") {
      if (v.get_string().get(text) != simdjson::SUCCESS) return ApiError(400, "invalid_path", "path must be a string");
      auto path = normalize_virtual_path(text);
      if (!path.ok()) return ApiError(400, "invalid_path", path.error().message);
      p.path = std::move(*path);
    } else if (key == "visibility") {
      if (v.get_string().get(text) != simdjson::SUCCESS || (text != "private" && text != "public"))
        return ApiError(400, "invalid_visibility", "visibility must be \"private\" or \"public\"");
      p.visibility = std::string(text);
    } else if (key == "tags") {
      std::vector<std::string> tags;
      if (auto e = read_tags(v, tags)) return std::move(*e);
      p.tags = std::move(tags);
    } else if (key == "favorite") {
      bool fav = false;
      if (v.get_bool().get(fav) != simdjson::SUCCESS) return ApiError(400, "invalid_favorite", "favorite must be true or false");
      p.favorite = fav;
    } else if (key == "metadata") {
      std::string md;
      if (auto e = read_metadata(v, md)) return std::move(*e);
      p.metadata_patch = std::move(md);
    } else if (key == "expiresAt") {
      p.set_expires_at = true;
      if (v.is_null()) continue;
      if (v.get_string().get(text) != simdjson::SUCCESS)
        return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time string or null");
      auto ms = parse_rfc3339_millis(text);
      if (!ms) return ApiError(400, "invalid_expiry", "expiresAt must be an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z");
      if (*ms <= now_ms) return ApiError(400, "invalid_expiry", "expiresAt must be in the future");
      p.expires_at = std::string(text);
    } else {
      std::string shown(key.substr(0, 64));
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
      return ApiError(400, "invalid_request",
                      "unknown field '" + shown +
                          "'; a patch may set name, path, visibility, tags, favorite, metadata, expiresAt");
    }
  }
  return p;
}

}  // namespace sluice
