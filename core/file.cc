#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace sluice {

namespace {
// One SQE's length is 32 bits; stay well below it.
constexpr size_t kMaxIoBytes = size_t{1} << 30;
}  // namespace

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

File::File(File&& o) noexcept
    : r_(o.r_), fd_(std::exchange(o.fd_, -1)), name_(std::move(o.name_)) {}

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    r_ = o.r_;
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
  }
  return *this;
}

Task<Result<File>> File::open(Reactor& r, int dirfd, std::string path, int flags, mode_t mode) {
  int res = co_await IoOp(r, [&](io_uring_sqe* sqe) {
    io_uring_prep_openat(sqe, dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  });
  if (res == -ENOENT || res == -ENOTDIR)
    co_return Error(Errc::not_found, "open " + path + ": no such file", std::to_string(-res));
  if (res < 0) co_return errno_error("open " + path, res);
  co_return File(r, res, std::move(path));
}

Task<Status> File::write_all(std::span<const char> data, uint64_t offset) {
  while (!data.empty()) {
    unsigned n = static_cast<unsigned>(std::min(data.size(), kMaxIoBytes));
    int res = co_await IoOp(*r_, [&](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd_, data.data(), n, offset); });
    if (res < 0) co_return errno_error("write " + name_, res);
    if (res == 0) co_return Error(Errc::io_error, "write " + name_ + ": wrote nothing");
    data = data.subspan(static_cast<size_t>(res));
    offset += static_cast<uint64_t>(res);
  }
  co_return Status{};
}

Task<Result<size_t>> File::read_full(std::span<char> buf, uint64_t offset) {
  size_t got = 0;
  while (got < buf.size()) {
    unsigned n = static_cast<unsigned>(std::min(buf.size() - got, kMaxIoBytes));
    int res = co_await IoOp(*r_, [&](io_uring_sqe* sqe) {
      io_uring_prep_read(sqe, fd_, buf.data() + got, n, offset + got);
    });
    if (res < 0) co_return errno_error("read " + name_, res);
    if (res == 0) break;  // end of file
    got += static_cast<size_t>(res);
  }
  co_return got;
}

Task<Status> File::sync() {
  int res = co_await IoOp(*r_, [&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd_, 0); });
  if (res < 0) co_return errno_error("fsync " + name_, res);
  co_return Status{};
}

Task<Status> File::close() {
  if (fd_ < 0) co_return Status{};
  int fd = std::exchange(fd_, -1);
  int res = co_await IoOp(*r_, [&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
  if (res < 0) co_return errno_error("close " + name_, res);
  co_return Status{};
}

}  // namespace sluice
