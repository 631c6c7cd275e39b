// What the thumbnail routes ask: the state of a file's thumbnails and the stored one of a size.
// HTTP-free, no libvips (the routes link this, not the thumbnailer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"

namespace sluice::service {

enum class ThumbnailState {
  not_an_image,  // no job: the file's type is not one Sluice thumbnails
  pending,       // queued, being made, or waiting to retry after a store error
  ready,
  failed,  // not a decodable image, or over the limits (`error` says which)
};

struct StoredThumbnail {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};

struct ThumbnailLookup {
  ThumbnailState state = ThumbnailState::not_an_image;
  std::optional<StoredThumbnail> stored;  // ready, and made in the size asked for
  std::string error;                      // failed: why
};

// The thumbnail of `size` px of file `file_id` (which the caller has already been allowed to see).
Task<Result<ThumbnailLookup>> find_thumbnail(PgPool& pg, std::string file_id, int size);

}  // namespace sluice::service
