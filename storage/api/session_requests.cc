#include "storage/api/session_requests.h"

#include <simdjson.h>

namespace sluice {

namespace {

Error bad(std::string msg) { return Error(Errc::invalid_argument, std::move(msg)); }

Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(json)).get(doc) != simdjson::SUCCESS)
    return bad("the request body is not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return bad("the request body must be a JSON object");
  return obj;
}

// A non-negative integer member (JSON numbers without fraction), or nullopt when absent.
Result<std::optional<uint64_t>> uint_member(simdjson::dom::object obj, std::string_view name) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<uint64_t>();
  uint64_t n = 0;
  if (v.get_uint64().get(n) != simdjson::SUCCESS)
    return bad("'" + std::string(name) + "' must be a non-negative integer");
  return std::optional<uint64_t>(n);
}

Result<std::optional<std::string>> string_member(simdjson::dom::object obj, std::string_view name) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS || v.is_null()) return std::optional<std::string>();
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return bad("'" + std::string(name) + "' must be a string");
  return std::optional<std::string>(std::string(s));
}

}  // namespace

Result<InitiateRequest> parse_initiate_request(std::string_view json) {
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, json);
  if (!obj.ok()) return std::move(obj).error();
  InitiateRequest out;
  auto path = string_member(*obj, "path");
  if (!path.ok()) return std::move(path).error();
  if (*path) out.path = **path;
  auto name = string_member(*obj, "name");
  if (!name.ok()) return std::move(name).error();
  if (!*name) return bad("'name' is required");
  out.name = **name;
  auto ct = string_member(*obj, "contentType");
  if (!ct.ok()) return std::move(ct).error();
  out.content_type = *ct;
  auto vis = string_member(*obj, "visibility");
  if (!vis.ok()) return std::move(vis).error();
  out.visibility = *vis;
  auto on_conflict = string_member(*obj, "onConflict");
  if (!on_conflict.ok()) return std::move(on_conflict).error();
  out.on_conflict = *on_conflict;
  auto size = uint_member(*obj, "size");
  if (!size.ok()) return std::move(size).error();
  if (!*size) return bad("'size' (the file's total bytes) is required");
  auto checked = ByteCount::from_client(**size, "'size'");
  if (!checked.ok()) return std::move(checked).error();
  out.size = *checked;
  auto part = uint_member(*obj, "partSize");
  if (!part.ok()) return std::move(part).error();
  if (*part) {
    auto checked_part = ByteCount::from_client(**part, "'partSize'");
    if (!checked_part.ok()) return std::move(checked_part).error();
  }
  out.part_size = *part;
  return out;
}

Result<std::vector<RequestedPart>> parse_complete_request(std::string_view json) {
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, json);
  if (!obj.ok()) return std::move(obj).error();
  simdjson::dom::array parts;
  if (obj->at_key("parts").get_array().get(parts) != simdjson::SUCCESS)
    return bad("'parts' must be an array of {partNumber, etag}");
  std::vector<RequestedPart> out;
  for (simdjson::dom::element e : parts) {
    simdjson::dom::object p;
    if (e.get_object().get(p) != simdjson::SUCCESS) return bad("each part must be an object {partNumber, etag}");
    int64_t n = 0;
    if (p.at_key("partNumber").get_int64().get(n) != simdjson::SUCCESS || n < 1 || n > 10000)
      return bad("each part needs a 'partNumber' within 1..10000");
    std::string_view etag;
    if (p.at_key("etag").get_string().get(etag) != simdjson::SUCCESS || etag.empty())
      return bad("part " + std::to_string(n) + " needs its 'etag' (as returned when it was uploaded)");
    out.push_back(RequestedPart{static_cast<int>(n), std::string(etag)});
  }
  if (out.size() > 10000) return bad("at most 10000 parts");
  return out;
}

Result<std::optional<int64_t>> parse_presign_request(std::string_view json) {
  bool blank = true;
  for (char c : json)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') blank = false;
  if (blank) return std::optional<int64_t>();
  simdjson::dom::parser parser;
  auto obj = parse_object(parser, json);
  if (!obj.ok()) return std::move(obj).error();
  auto e = uint_member(*obj, "expiresIn");
  if (!e.ok()) return std::move(e).error();
  if (!*e) return std::optional<int64_t>();
  if (**e > (1ull << 40)) return bad("'expiresIn' is out of range");
  return std::optional<int64_t>(static_cast<int64_t>(**e));
}

}  // namespace sluice
