#include "storage/service/uploads/sessions/session_record.h"

#include "http/json_writer.h"
#include "storage/service/domain_error.h"

namespace sluice {

Error session_not_active(const std::string& state, std::string message) {
  Reason r = Reason::upload_ended;
  if (state == "active") r = Reason::upload_active;  // a race: another complete gave its claim back
  if (state == "completing") r = Reason::upload_completing;
  if (state == "completed") r = Reason::upload_completed;
  if (state == "aborted") r = Reason::upload_aborted;
  if (state == "failed") r = Reason::upload_failed;
  return domain_error(r, std::move(message));
}

uint64_t SessionRecord::expected_part_size(uint32_t number) const {
  if (number < 1 || number > total_parts) return 0;
  if (number < total_parts) return part_size;
  return declared_size - part_size * (total_parts - 1);
}

std::string SessionRecord::to_json(const std::vector<PartInfo>& parts) const {
  std::string out;
  http::JsonWriter w(out);
  uint64_t received = 0;
  for (const PartInfo& p : parts) received += p.size;
  w.begin_object();
  w.key("uploadId").string(id);
  w.key("fileId").string(file_id);
  w.key("state").string(state);
  w.key("size").uint64(declared_size);
  w.key("partSize").uint64(part_size);
  w.key("totalParts").uint64(total_parts);
  w.key("bytesReceived").uint64(received);
  w.key("expiresAt").string(expires_at);
  w.key("createdAt").string(created_at);
  w.key("parts").begin_array();
  for (const PartInfo& p : parts) {
    w.begin_object();
    w.key("partNumber").int64(p.number);
    w.key("size").uint64(p.size);
    w.key("etag").string(p.etag);
    w.end_object();
  }
  w.end_array();
  // What is still to send, so a client resuming after a crash needs nothing else.
  w.key("missingParts").begin_array();
  size_t i = 0;
  for (uint32_t n = 1; n <= total_parts; ++n) {
    while (i < parts.size() && parts[i].number < static_cast<int>(n)) ++i;
    if (i >= parts.size() || parts[i].number != static_cast<int>(n)) w.int64(n);
  }
  w.end_array();
  w.end_object();
  return out;
}

Result<SessionRecord> session_from_row(const PgResult& r, int row) {
  SessionRecord m;
  m.id = std::string(r.text(row, 0));
  m.file_id = std::string(r.text(row, 1));
  m.owner = std::string(r.text(row, 2));
  m.object_key = std::string(r.text(row, 3));
  m.store_upload_id = r.opt_text(row, 4);
  auto part_size = r.int64(row, 5);
  if (!part_size.ok()) return std::move(part_size).error();
  m.part_size = static_cast<uint64_t>(*part_size);
  auto declared = r.int64(row, 6);
  if (!declared.ok()) return std::move(declared).error();
  m.declared_size = static_cast<uint64_t>(*declared);
  auto total = r.int64(row, 7);
  if (!total.ok()) return std::move(total).error();
  m.total_parts = static_cast<uint32_t>(*total);
  auto reserved = r.int64(row, 8);
  if (!reserved.ok()) return std::move(reserved).error();
  m.reserved_bytes = static_cast<uint64_t>(*reserved);
  m.state = std::string(r.text(row, 9));
  m.expires_at = std::string(r.text(row, 10));
  m.created_at = std::string(r.text(row, 11));
  m.content_type = std::string(r.text(row, 12));
  m.file_status = std::string(r.text(row, 13));
  m.on_conflict = std::string(r.text(row, 14));
  m.path = std::string(r.text(row, 15));
  m.name = std::string(r.text(row, 16));
  return m;
}

std::string normalize_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  std::string out(etag);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace sluice
