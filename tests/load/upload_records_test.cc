#include "tools/load/upload_records.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tools/load/body_pattern.h"

namespace sluice::load {
namespace {

std::string temp_file() {
  char tmpl[] = "/tmp/sluice-records-XXXXXX";
  int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  close(fd);
  return tmpl;
}

// What an upload run writes, a check run reads back: ids, sizes and users, in order.
TEST(UploadRecords, RoundTripWithThePatternChecksum) {
  std::string path = temp_file();
  std::vector<AckedUpload> acked = {{"f1", 0, 0}, {"0b7c", 70000, 12}, {"zz", 1, 3}};
  ASSERT_TRUE(write_upload_records(path, acked).ok());
  std::ifstream in(path);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  char want[32];
  snprintf(want, sizeof want, "%016llx", static_cast<unsigned long long>(BodyPattern::instance().checksum(70000)));
  EXPECT_EQ(second, std::string("0b7c 70000 12 ") + want);
  auto back = read_upload_records(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[1].id, "0b7c");
  EXPECT_EQ((*back)[1].size, 70000u);
  EXPECT_EQ((*back)[1].user, 12u);
  EXPECT_EQ((*back)[2].id, "zz");
  unlink(path.c_str());
}

TEST(UploadRecords, RejectsALineWithoutItsFields) {
  std::string path = temp_file();
  std::ofstream(path) << "a 1 0 00\nb two 0 00\n";
  auto back = read_upload_records(path);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find(":2:"), std::string::npos) << back.error().message;
  unlink(path.c_str());
  EXPECT_FALSE(read_upload_records("/nonexistent/records").ok());
}

}  // namespace
}  // namespace sluice::load
