#include "storage/store/local/temp_ownership.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "storage/store/local/dir_listing.h"
#include "storage/store/local/upload_layout.h"

namespace sluice::local {

namespace {

// Removes `path` (a file, or a directory and everything below it); ENOENT counts as done.
Status remove_tree(int root_fd, const std::string& path, TempSweep& swept) {
  struct stat st {};
  if (::fstatat(root_fd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? Status{} : Status(errno_error("stat " + path, -errno));
  if (S_ISDIR(st.st_mode)) {
    auto entries = list_directory(root_fd, path);
    if (!entries.ok()) return entries.error().code == Errc::not_found ? Status{} : Status(std::move(entries).error());
    for (const DirEntry& e : *entries) {
      if (Status s = remove_tree(root_fd, path + "/" + e.name, swept); !s.ok()) return s;
    }
  }
  if (::unlinkat(root_fd, path.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0)
    return errno == ENOENT ? Status{} : Status(errno_error("remove " + path, -errno));
  ++swept.entries;
  if (!S_ISDIR(st.st_mode)) swept.bytes += static_cast<uint64_t>(st.st_size);
  return {};
}

bool same_file(int fd, int root_fd, const std::string& path) {
  struct stat by_fd {}, by_path {};
  if (::fstat(fd, &by_fd) != 0 || ::fstatat(root_fd, path.c_str(), &by_path, 0) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// The owner id of "{id}.owner", or empty.
std::string_view owner_of_lock(std::string_view name) {
  if (!name.ends_with(kOwnerLockSuffix)) return {};
  name.remove_suffix(kOwnerLockSuffix.size());
  return is_upload_id(name) ? name : std::string_view{};
}

}  // namespace

Result<TempOwner> TempOwner::claim(int root_fd, std::string_view tmp_dir) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string id = new_upload_id();
    std::string dir = std::string(tmp_dir) + "/" + id;
    std::string lock = dir + std::string(kOwnerLockSuffix);
    int fd = ::openat(root_fd, lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return errno_error("create " + lock, -errno);
    }
    // A sweeper may open the new, still unlocked file, take the lock and unlink it: then the
    // file is not ours any more and we start over with another id.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !same_file(fd, root_fd, lock)) {
      ::close(fd);
      continue;
    }
    if (::mkdirat(root_fd, dir.c_str(), 0755) != 0) {
      int err = errno;
      ::unlinkat(root_fd, lock.c_str(), 0);
      ::close(fd);
      return errno_error("mkdir " + dir, -err);
    }
    TempOwner owner;
    owner.root_fd_ = root_fd;
    owner.lock_fd_ = fd;
    owner.dir_ = std::move(dir);
    return owner;
  }
  return Error(Errc::internal, "could not claim a temp directory under " + std::string(tmp_dir));
}

TempOwner::~TempOwner() { release(); }

TempOwner::TempOwner(TempOwner&& o) noexcept
    : root_fd_(o.root_fd_), lock_fd_(std::exchange(o.lock_fd_, -1)), dir_(std::move(o.dir_)) {}

TempOwner& TempOwner::operator=(TempOwner&& o) noexcept {
  if (this != &o) {
    release();
    root_fd_ = o.root_fd_;
    lock_fd_ = std::exchange(o.lock_fd_, -1);
    dir_ = std::move(o.dir_);
  }
  return *this;
}

void TempOwner::release() {
  if (lock_fd_ < 0) return;
  TempSweep ignored;
  (void)remove_tree(root_fd_, dir_, ignored);
  std::string lock = dir_ + std::string(kOwnerLockSuffix);
  ::unlinkat(root_fd_, lock.c_str(), 0);  // before the lock goes: nobody else may take it over
  ::close(std::exchange(lock_fd_, -1));
}

Result<TempSweep> sweep_abandoned_temp(int root_fd, std::string_view tmp_dir, time_t now) {
  std::string tmp(tmp_dir);
  auto entries = list_directory(root_fd, tmp);
  if (!entries.ok()) return std::move(entries).error();
  TempSweep swept;
  for (const DirEntry& e : *entries) {
    std::string path = tmp + "/" + e.name;
    if (std::string_view id = owner_of_lock(e.name); !id.empty() && !e.is_dir) {
      int fd = ::openat(root_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // its owner shut down meanwhile
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {  // nobody holds it: the owner died
        Status s = remove_tree(root_fd, tmp + "/" + std::string(id), swept);
        if (s.ok() && ::unlinkat(root_fd, path.c_str(), 0) == 0) ++swept.entries;
        ::close(fd);
        if (!s.ok()) return std::move(s).error();
      } else {
        ::close(fd);
      }
      continue;
    }
    if (e.is_dir && is_upload_id(e.name)) {
      // Lock files come before their directories and go after them: no lock file, no owner.
      std::string lock = path + std::string(kOwnerLockSuffix);
      if (::faccessat(root_fd, lock.c_str(), F_OK, 0) != 0 && errno == ENOENT) {
        if (Status s = remove_tree(root_fd, path, swept); !s.ok()) return std::move(s).error();
      }
      continue;
    }
    struct stat st {};
    if (::fstatat(root_fd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (now - st.st_mtime < kLooseTempGraceSeconds) continue;
    if (Status s = remove_tree(root_fd, path, swept); !s.ok()) return std::move(s).error();
  }
  return swept;
}

}  // namespace sluice::local
