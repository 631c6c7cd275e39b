#include "core/directory.h"

#include <fcntl.h>

#include <cerrno>

namespace sluice {

std::string parent_path(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

Task<int> Directory::mkdir(std::string path, mode_t mode) {
  co_return co_await IoOp(r_, [&](io_uring_sqe* sqe) { io_uring_prep_mkdirat(sqe, dirfd_, path.c_str(), mode); });
}

Task<int> Directory::mkdirs(std::string path) {
  if (path.empty()) co_return 0;
  int res = co_await mkdir(path);
  if (res == 0 || res == -EEXIST) co_return 0;
  if (res != -ENOENT) co_return res;
  // A parent is missing: create it first, then retry (others may race us; EEXIST is fine).
  res = co_await mkdirs(parent_path(path));
  if (res < 0) co_return res;
  res = co_await mkdir(path);
  co_return res == -EEXIST ? 0 : res;
}

Task<int> Directory::rename(std::string from, std::string to) {
  co_return co_await IoOp(r_, [&](io_uring_sqe* sqe) {
    io_uring_prep_renameat(sqe, dirfd_, from.c_str(), dirfd_, to.c_str(), 0);
  });
}

Task<int> Directory::unlink(std::string path) {
  co_return co_await IoOp(r_, [&](io_uring_sqe* sqe) { io_uring_prep_unlinkat(sqe, dirfd_, path.c_str(), 0); });
}

Task<int> Directory::rmdir(std::string path) {
  co_return co_await IoOp(r_, [&](io_uring_sqe* sqe) {
    io_uring_prep_unlinkat(sqe, dirfd_, path.c_str(), AT_REMOVEDIR);
  });
}

Task<int> Directory::sync_dir(std::string path) {
  const char* p = path.empty() ? "." : path.c_str();
  int fd = co_await IoOp(r_, [&](io_uring_sqe* sqe) {
    io_uring_prep_openat(sqe, dirfd_, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  });
  if (fd < 0) co_return fd;
  int res = co_await IoOp(r_, [&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, 0); });
  int closed = co_await IoOp(r_, [&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
  co_return res < 0 ? res : closed;
}

}  // namespace sluice
