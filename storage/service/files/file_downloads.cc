#include "storage/service/files/file_downloads.h"

#include <string>

#include "storage/service/domain_error.h"

namespace sluice::service {

Status check_readable(const FileRecord& f) {
  if (f.status == "available") return {};
  if (f.status == "uploading") return domain_error(Reason::not_available, "file is still being uploaded");
  return domain_error(Reason::not_found, "no file with id '" + f.id + "'");
}

Result<PresignedUrl> download_url(ObjectStore& store, const FileRecord& f, std::optional<int64_t> expires_in,
                                  Disposition asked, const DownloadUrlBounds& bounds, int64_t now_unix) {
  if (Status s = check_readable(f); !s.ok()) return std::move(s).error();
  int64_t lifetime = expires_in.value_or(bounds.default_seconds);
  if (lifetime < bounds.min_seconds || lifetime > bounds.max_seconds)
    return domain_error(Reason::invalid_expiry, "expiresIn must be within " + std::to_string(bounds.min_seconds) +
                                                    ".." + std::to_string(bounds.max_seconds) + " seconds");
  ResponseOverrides answer;
  answer.content_disposition = content_disposition(effective_disposition(f.content_type, asked), f.name);
  answer.content_type = f.content_type.empty() ? std::string("application/octet-stream") : f.content_type;
  return store.presign_get(f.object_key, lifetime, now_unix, answer);
}

}  // namespace sluice::service
