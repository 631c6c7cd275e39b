#include "core/directory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/reactor.h"
#include "core/task.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using testing::run_reactor;

struct ScratchDir {
  std::string path;
  int fd = -1;
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "sluice_dir_XXXXXX";
    path = mkdtemp(tmpl.data()) ? tmpl : "";
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~ScratchDir() {
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST(Directory, ParentPath) {
  EXPECT_EQ(parent_path("a/b/c"), "a/b");
  EXPECT_EQ(parent_path("c"), "");
}

TEST(Directory, MkdirsRenameUnlinkRmdirAndSync) {
  ScratchDir scratch;
  ASSERT_GE(scratch.fd, 0);
  int dirfd = scratch.fd;
  std::string root = scratch.path;
  run_reactor([dirfd, root](Reactor& r) -> Task<void> {
    Directory d(r, dirfd);
    // Paths are named before each co_await (GCC 12 coroutine rules, STYLE §6).
    std::string abc = "a/b/c", ab = "a/b", here, f = "a/f", g = "a/b/g", xy = "x/y";
    int res = co_await d.mkdirs(abc);
    EXPECT_EQ(res, 0);
    res = co_await d.mkdirs(abc);
    EXPECT_EQ(res, 0);  // EEXIST is success
    EXPECT_TRUE(std::filesystem::is_directory(root + "/a/b/c"));
    res = co_await d.sync_dir(ab);
    EXPECT_EQ(res, 0);
    res = co_await d.sync_dir(here);
    EXPECT_EQ(res, 0);  // the directory itself

    int fd = ::openat(dirfd, f.c_str(), O_WRONLY | O_CREAT, 0644);
    EXPECT_GE(fd, 0);
    ::close(fd);
    res = co_await d.rename(f, g);
    EXPECT_EQ(res, 0);
    EXPECT_TRUE(std::filesystem::exists(root + "/a/b/g"));
    res = co_await d.unlink(g);
    EXPECT_EQ(res, 0);
    res = co_await d.unlink(g);
    EXPECT_EQ(res, -ENOENT);  // raw CQE values: ENOENT is visible to the caller
    res = co_await d.rmdir(abc);
    EXPECT_EQ(res, 0);
    res = co_await d.rmdir(abc);
    EXPECT_EQ(res, -ENOENT);
    res = co_await d.mkdir(xy);
    EXPECT_EQ(res, -ENOENT);  // mkdir alone does not create parents
  });
}

}  // namespace
}  // namespace sluice
