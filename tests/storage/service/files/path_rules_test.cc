#include "storage/service/files/path_rules.h"

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

TEST(PathRules, RefusesInvisibleFormatCharacters) {
  for (const std::string& cf : std::vector<std::string>{
           "\u202E", "\u202A", "\u200B", "\u200C", "\u200D", "\u200E", "\u200F", "\u2060", "\u2064",
           "\u2066", "\u2069", "\uFEFF", "\u00AD", "\u061C", "\u180E", "\uFFF9", "\uFFFB", "\U000E0001",
           "\U000E0020", "\U000E007F", "\u0085", "\u2028", "\u2029"}) {
    std::string name = "a" + cf + "b.txt";
    EXPECT_FALSE(validate_file_name(name).ok()) << name;
    EXPECT_FALSE(normalize_virtual_path("/docs/" + name + "/x").ok()) << name;
  }
  // Neighbours of those ranges are visible characters.
  for (const std::string& fine : std::vector<std::string>{"\u200A", "\u2010", "\u2065", "\u00AC", "\u00AE",
                                                          "\uFFFC", "\U000E0080", "\U0001F600"})
    EXPECT_TRUE(validate_file_name("a" + fine + "b").ok()) << fine;
}

TEST(PathRules, RefusesOverlongSurrogatesAndPastMaxCodePoint) {
  for (const std::string& bad : std::vector<std::string>{
           "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
           "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\x80",
           "\xE2\x82", "\xF0\x9F\x98"}) {
    EXPECT_FALSE(validate_file_name("a" + bad + "b").ok());
    EXPECT_FALSE(normalize_virtual_path("/a" + bad + "b").ok());
  }
  // The boundaries that are well formed.
  for (const std::string& good : std::vector<std::string>{"\xC2\xA0", "\xE0\xA0\x80", "\xED\x9F\xBF",
                                                          "\xEE\x80\x80", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBD"})
    EXPECT_TRUE(validate_file_name("a" + good + "b").ok());
}

}  // namespace
}  // namespace sluice
