#include "core/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/reactor.h"
#include "core/task.h"
#include "tests/support/reactor_fixture.h"

namespace sluice {
namespace {

using testing::run_reactor;

// A scratch directory and its fd, removed afterwards.
struct ScratchDir {
  std::string path;
  int fd = -1;
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "sluice_file_XXXXXX";
    path = mkdtemp(tmpl.data()) ? tmpl : "";
    fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~ScratchDir() {
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST(File, WritesReadsBackAndSyncs) {
  ScratchDir dir;
  ASSERT_GE(dir.fd, 0);
  int dirfd = dir.fd;
  run_reactor([dirfd](Reactor& r) -> Task<void> {
    std::string name = "a.bin";
    auto f = co_await File::open(r, dirfd, name, O_RDWR | O_CREAT | O_EXCL, 0644);
    EXPECT_TRUE(f.ok());
    if (!f.ok()) co_return;
    std::string data = "hello, file";
    Status w = co_await f->write_all(std::span<const char>(data), 4);
    EXPECT_TRUE(w.ok());
    Status s = co_await f->sync();
    EXPECT_TRUE(s.ok());
    std::string buf(64, '\0');
    auto n = co_await f->read_full(std::span<char>(buf), 4);
    EXPECT_TRUE(n.ok());
    if (n.ok()) {
      EXPECT_EQ(buf.substr(0, *n), data);  // stops at end of file
    }
    Status c = co_await f->close();
    EXPECT_TRUE(c.ok());
    EXPECT_FALSE(f->is_open());
  });
}

TEST(File, MissingPathIsNotFoundAndNamesIt) {
  ScratchDir dir;
  ASSERT_GE(dir.fd, 0);
  int dirfd = dir.fd;
  run_reactor([dirfd](Reactor& r) -> Task<void> {
    std::string name = "no/such/file";
    auto f = co_await File::open(r, dirfd, name, O_RDONLY);
    EXPECT_FALSE(f.ok());
    if (f.ok()) co_return;
    EXPECT_EQ(f.error().code, Errc::not_found);
    EXPECT_NE(f.error().message.find("no/such/file"), std::string::npos);
  });
}

}  // namespace
}  // namespace sluice
