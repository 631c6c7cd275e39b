#include "storage/store/local/dir_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::local {

Result<std::vector<DirEntry>> list_directory(int dirfd, const std::string& path) {
  const char* p = path.empty() ? "." : path.c_str();
  int fd = ::openat(dirfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return Error(Errc::not_found, "directory " + path + " does not exist");
    return errno_error("open directory " + path, -errno);
  }
  std::vector<DirEntry> out;
  alignas(8) char buf[32 * 1024];
  while (true) {
    ssize_t n = ::getdents64(fd, buf, sizeof(buf));
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return errno_error("getdents64 " + path, -e);
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(buf + off);
      off += d->d_reclen;
      if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
      DirEntry e{d->d_name, d->d_type == DT_DIR};
      if (d->d_type == DT_UNKNOWN) {  // some filesystems do not fill d_type
        struct stat st {};
        if (::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) e.is_dir = S_ISDIR(st.st_mode);
      }
      out.push_back(std::move(e));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace sluice::local
