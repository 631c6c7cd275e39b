#include "tools/load/upload_replies.h"

#include <simdjson.h>

namespace sluice::load {

namespace {

// A string member as is, an integer member in decimal; empty otherwise.
std::string scalar_member(simdjson::dom::object obj, std::string_view name) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u;
  if (v.get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
  return {};
}

bool uint_member(simdjson::dom::object obj, std::string_view name, uint64_t* out) {
  simdjson::dom::element v;
  if (obj.at_key(name).get(v) != simdjson::SUCCESS) return false;
  if (v.get_uint64().get(*out) == simdjson::SUCCESS) return true;
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS && d >= 0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
    *out = static_cast<uint64_t>(d);
    return true;
  }
  return false;
}

}  // namespace

UploadReplies::UploadReplies() : parser_(std::make_unique<simdjson::dom::parser>()) {}
UploadReplies::~UploadReplies() = default;

Result<InitiateReply> UploadReplies::initiate(std::string_view body, uint64_t file_size) {
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser_->parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS)
    return Error(Errc::protocol_error, "initiate reply is not a JSON object: " + std::string(body.substr(0, 200)));
  InitiateReply r;
  r.upload_id = scalar_member(obj, "uploadId");
  if (r.upload_id.empty()) r.upload_id = scalar_member(obj, "id");
  if (r.upload_id.empty())
    return Error(Errc::protocol_error, "initiate reply has no uploadId: " + std::string(body.substr(0, 200)));
  if (!uint_member(obj, "partSize", &r.part_size) || r.part_size == 0)
    return Error(Errc::protocol_error, "initiate reply has no positive partSize: " + std::string(body.substr(0, 200)));
  if (!uint_member(obj, "totalParts", &r.total_parts))
    r.total_parts = file_size == 0 ? 1 : (file_size + r.part_size - 1) / r.part_size;
  if (r.total_parts == 0 || r.total_parts > 10000)
    return Error(Errc::protocol_error, "initiate reply has totalParts outside 1..10000");
  return r;
}

std::string UploadReplies::file_id(std::string_view body) {
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (parser_->parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS)
    return {};
  std::string id = scalar_member(obj, "id");
  if (!id.empty()) return id;
  simdjson::dom::object file;
  if (obj.at_key("file").get(file) == simdjson::SUCCESS) return scalar_member(file, "id");
  simdjson::dom::array files;
  if (obj.at_key("files").get(files) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : files) {
      simdjson::dom::object first;
      if (e.get_object().get(first) == simdjson::SUCCESS) return scalar_member(first, "id");
      break;
    }
  }
  return {};
}

std::string UploadReplies::part_etag(std::string_view header_etag, std::string_view body) {
  if (!header_etag.empty()) return std::string(header_etag);
  simdjson::dom::element doc;
  simdjson::dom::object obj;
  if (body.empty() || parser_->parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS)
    return {};
  return scalar_member(obj, "etag");
}

}  // namespace sluice::load
