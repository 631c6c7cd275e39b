// Reading a file's bytes: whether they may be read now, and signed download URLs (an S3
// presigned GET or a Sluice-signed local URL) carrying the file's disposition and type.
#pragma once

#include <cstdint>
#include <optional>

#include "core/result.h"
#include "storage/service/files/content_disposition.h"
#include "storage/service/files/file_record.h"
#include "storage/store/object_store.h"

namespace sluice::service {

// OK for an available file. Reason::not_found for a trashed or deleted one (its content is
// gone, as far as readers know), Reason::not_available while it is still being uploaded.
Status check_readable(const FileRecord& f);

// A download URL's lifetime: the default when the client gives none, and its bounds (seconds).
struct DownloadUrlBounds {
  int64_t default_seconds = 900;
  int64_t min_seconds = 60;
  int64_t max_seconds = 24 * 3600;
};

// A signed GET of `f`'s object answering with the file's type and its effective disposition
// (inline only for the safe list) under its name. Reason::invalid_expiry for a lifetime out of
// `bounds`; check_readable()'s reasons; the store's error when it cannot sign.
Result<PresignedUrl> download_url(ObjectStore& store, const FileRecord& f, std::optional<int64_t> expires_in,
                                  Disposition asked, const DownloadUrlBounds& bounds, int64_t now_unix);

}  // namespace sluice::service
