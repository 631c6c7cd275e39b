// Directory: namespace operations (mkdir, rename, unlink, rmdir, directory fsync) on paths
// relative to one directory fd, each one io_uring op on the reactor. Results are the raw CQE
// values (0 or -errno) so callers can tell ENOENT from real failures.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/reactor.h"
#include "core/task.h"

namespace sluice {

class Directory {
 public:
  Directory(Reactor& r, int dirfd) : r_(r), dirfd_(dirfd) {}

  int fd() const { return dirfd_; }
  Reactor& reactor() const { return r_; }

  Task<int> mkdir(std::string path, mode_t mode = 0755);
  // Creates every missing directory of `path` itself (not of its parent); EEXIST is success.
  Task<int> mkdirs(std::string path);
  Task<int> rename(std::string from, std::string to);
  Task<int> unlink(std::string path);
  Task<int> rmdir(std::string path);
  // Makes a directory's entries durable: open, fsync, close.
  Task<int> sync_dir(std::string path);

 private:
  Reactor& r_;
  int dirfd_;
};

// "a/b/c" -> "a/b"; "c" -> "".
std::string parent_path(const std::string& path);

}  // namespace sluice
