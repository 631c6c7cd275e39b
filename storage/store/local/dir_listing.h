// Blocking directory listing (getdents64 via plain syscalls) for the local store's ops-only
// paths: list(), list_multipart_uploads() and crash leftovers in abort. io_uring (liburing 2.3,
// kernel 6.x) has no getdents op; these paths serve the janitor and tests, never a request's hot
// path, and read directories that are small and usually cached, so blocking briefly is accepted.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace sluice::local {

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

// Entries of `path` (relative to `dirfd`), without "." and "..", in no particular order.
// Errc::not_found when the directory does not exist.
Result<std::vector<DirEntry>> list_directory(int dirfd, const std::string& path);

}  // namespace sluice::local
