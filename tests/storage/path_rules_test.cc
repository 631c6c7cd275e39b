#include "storage/files/path_rules.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

TEST(PathRules, NormalisesPaths) {
  EXPECT_EQ(*normalize_virtual_path(""), "/");
  EXPECT_EQ(*normalize_virtual_path("/"), "/");
  EXPECT_EQ(*normalize_virtual_path("docs"), "/docs");
  EXPECT_EQ(*normalize_virtual_path("//docs///2026/"), "/docs/2026");
  EXPECT_EQ(*normalize_virtual_path("/ünï cødé/x"), "/ünï cødé/x");
}

TEST(PathRules, RejectsTraversalAndControlBytes) {
  for (const std::string& bad : std::vector<std::string>{"/../etc", "/a/../../b", "./x", "/a/..", std::string("/a\0b", 4), "/a\\b", "/a\nb",
                          "/a\x7f", std::string("/\xff\xfe"), std::string(1100, 'a')}) {
    auto r = normalize_virtual_path(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
  }
}

TEST(PathRules, FileNames) {
  EXPECT_EQ(*validate_file_name("report final (1).pdf"), "report final (1).pdf");
  EXPECT_TRUE(validate_file_name("日本語.txt").ok());
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "a\\b", std::string("a\0", 2), "x\ty", std::string(256, 'n')})
    EXPECT_FALSE(validate_file_name(bad).ok()) << bad;
}

}  // namespace
}  // namespace sluice
