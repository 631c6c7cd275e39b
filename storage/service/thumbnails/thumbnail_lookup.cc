#include "storage/service/thumbnails/thumbnail_lookup.h"

#include <simdjson.h>

#include "storage/service/thumbnails/thumbnail_queries.h"

namespace sluice::service {

namespace {

// variants: {"128": {"key", "size", "etag"}, ...} as the thumbnailer wrote it.
std::optional<StoredThumbnail> stored_of(std::string_view variants, int size) {
  simdjson::dom::parser parser;
  simdjson::dom::object all;
  if (parser.parse(variants.data(), variants.size()).get_object().get(all) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object one;
  if (all[std::to_string(size)].get_object().get(one) != simdjson::SUCCESS) return std::nullopt;
  StoredThumbnail t;
  std::string_view key, etag;
  uint64_t bytes = 0;
  if (one["key"].get_string().get(key) != simdjson::SUCCESS || one["size"].get_uint64().get(bytes) != simdjson::SUCCESS)
    return std::nullopt;
  if (one["etag"].get_string().get(etag) != simdjson::SUCCESS) etag = {};
  t.key = std::string(key);
  t.size = bytes;
  t.etag = std::string(etag);
  return t;
}

}  // namespace

Task<Result<ThumbnailLookup>> find_thumbnail(PgPool& pg, std::string file_id, int size) {
  auto r = co_await pg.query(thumbnail_sql::kFind, file_id);
  if (!r.ok()) co_return std::move(r).error();
  ThumbnailLookup out;
  if (r->rows() == 0) co_return out;
  std::string_view state = r->text(0, 0);
  if (state == "ready") {
    out.state = ThumbnailState::ready;
    out.stored = stored_of(r->text(0, 1), size);
  } else if (state == "failed") {
    out.state = ThumbnailState::failed;
    out.error = std::string(r->text(0, 2));
  } else {
    out.state = ThumbnailState::pending;
  }
  co_return out;
}

}  // namespace sluice::service
