#include "storage/service/files/file_record.h"

#include "http/json_writer.h"

namespace sluice {

std::string FileRecord::to_json() const {
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("id").string(id);
  w.key("owner").string(owner);
  w.key("path").string(path);
  w.key("name").string(name);
  w.key("size").uint64(size);
  w.key("contentType").string(content_type);
  w.key("checksums").begin_object();
  w.key("md5");
  md5 ? w.string(*md5) : w.null();
  w.key("sha256");
  sha256 ? w.string(*sha256) : w.null();
  w.end_object();
  w.key("etag");
  etag ? w.string(*etag) : w.null();
  w.key("status").string(status);
  w.key("visibility").string(visibility);
  w.key("tags").begin_array();
  for (const auto& t : tags) w.string(t);
  w.end_array();
  w.key("metadata").raw(metadata_json);
  w.key("createdAt").string(created_at);
  w.key("updatedAt").string(updated_at);
  w.key("favorite").boolean(favorite);
  w.key("expiresAt");
  expires_at ? w.string(*expires_at) : w.null();
  w.key("trashedAt");
  trashed_at ? w.string(*trashed_at) : w.null();
  w.end_object();
  return out;
}

Result<FileRecord> file_from_row(const PgResult& r, int row, int c) {
  FileRecord f;
  f.id = std::string(r.text(row, c + 0));
  f.owner = std::string(r.text(row, c + 1));
  f.object_key = std::string(r.text(row, c + 2));
  f.path = std::string(r.text(row, c + 3));
  f.name = std::string(r.text(row, c + 4));
  auto size = r.int64(row, c + 5);
  if (!size.ok()) return std::move(size).error();
  f.size = static_cast<uint64_t>(*size);
  f.content_type = std::string(r.text(row, c + 6));
  f.md5 = r.opt_text(row, c + 7);
  f.sha256 = r.opt_text(row, c + 8);
  f.etag = r.opt_text(row, c + 9);
  f.status = std::string(r.text(row, c + 10));
  f.visibility = std::string(r.text(row, c + 11));
  auto tags = r.text_array(row, c + 12);
  if (!tags.ok()) return std::move(tags).error();
  for (auto& t : *tags)
    if (t) f.tags.push_back(std::move(*t));
  f.metadata_json = std::string(r.text(row, c + 13));
  f.created_at = std::string(r.text(row, c + 14));
  f.updated_at = std::string(r.text(row, c + 15));
  auto favorite = r.boolean(row, c + 16);
  if (!favorite.ok()) return std::move(favorite).error();
  f.favorite = *favorite;
  f.expires_at = r.opt_text(row, c + 17);
  f.trashed_at = r.opt_text(row, c + 18);
  return f;
}

}  // namespace sluice
