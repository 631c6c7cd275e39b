// File: an owned file descriptor whose I/O (open, positional read/write, fsync, close) goes
// through the reactor's io_uring, so disk I/O never blocks the reactor thread. Disk ops carry no
// deadline: a regular-file read or write cannot be abandoned half-way by a link timeout anyway.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>

#include "core/reactor.h"
#include "core/result.h"
#include "core/task.h"

namespace sluice {

class File {
 public:
  File() = default;
  File(Reactor& r, int fd, std::string name) : r_(&r), fd_(fd), name_(std::move(name)) {}
  // Safety net only: every normal path awaits close(). Falls back to a plain close(2).
  ~File();
  File(File&& o) noexcept;
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // openat(dirfd, path). Errc::not_found when the path (or a directory on it) does not exist;
  // every error names the path and keeps errno in Error::detail.
  static Task<Result<File>> open(Reactor& r, int dirfd, std::string path, int flags, mode_t mode = 0);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

  // Writes all of `data` at `offset` (short writes are continued).
  Task<Status> write_all(std::span<const char> data, uint64_t offset);
  // Reads at `offset` until `buf` is full or end of file; returns the bytes read.
  Task<Result<size_t>> read_full(std::span<char> buf, uint64_t offset);
  Task<Status> sync();
  // Closes through io_uring; a no-op when not open.
  Task<Status> close();

 private:
  Reactor* r_ = nullptr;
  int fd_ = -1;
  std::string name_;  // for error messages
};

}  // namespace sluice
