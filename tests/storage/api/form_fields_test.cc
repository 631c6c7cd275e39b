#include "storage/api/form_fields.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(FormFields, DefaultsAndKnownFields) {
  FormFields f;
  EXPECT_EQ(f.path(), "/");
  EXPECT_EQ(f.visibility(), "private");
  EXPECT_TRUE(f.tags().empty());
  EXPECT_EQ(f.metadata_json(), "{}");
  EXPECT_FALSE(f.apply("path", "docs//2024/"));
  EXPECT_EQ(f.path(), "/docs/2024");
  EXPECT_FALSE(f.apply("visibility", "public"));
  EXPECT_EQ(f.visibility(), "public");
  EXPECT_FALSE(f.apply("metadata", " {\"a\": [1, 2], \"b\": {\"c\": null}} "));
  EXPECT_EQ(f.metadata_json(), "{\"a\": [1, 2], \"b\": {\"c\": null}}");
  EXPECT_FALSE(f.apply("submit", "Upload"));  // other form inputs are ignored
}

TEST(FormFields, TagsCommaSeparatedOrRepeatedAndResetAfterAFile) {
  FormFields f;
  EXPECT_FALSE(f.apply("tags", " a, b ,,c"));
  EXPECT_FALSE(f.apply("tags", "d,a"));  // repeated field adds; duplicates dropped
  EXPECT_EQ(f.tags(), (std::vector<std::string>{"a", "b", "c", "d"}));
  f.file_taken();
  EXPECT_EQ(f.tags().size(), 4u);  // still there for a following file without new tags
  EXPECT_FALSE(f.apply("tags", "z"));
  EXPECT_EQ(f.tags(), (std::vector<std::string>{"z"}));
  EXPECT_FALSE(f.apply("tags", "\xC3\xBC" "ber"));
  EXPECT_EQ(f.tags().back(), "\xC3\xBC" "ber");
}

TEST(FormFields, Refusals) {
  FormFields f;
  auto bad_path = f.apply("path", "/a/../b");
  ASSERT_TRUE(bad_path);
  EXPECT_EQ(bad_path->status, 400);
  EXPECT_EQ(bad_path->code, "invalid_path");
  auto vis = f.apply("visibility", "everyone");
  ASSERT_TRUE(vis);
  EXPECT_EQ(vis->code, "invalid_visibility");
  for (std::string bad : {"[1,2]", "\"text\"", "{\"a\":", "{\"a\":1}{", "{\"a\":\"\\u0000\"}", "nul", "{\"a\":\"\xff\"}"}) {
    auto e = f.apply("metadata", bad);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->status, 400) << bad;
    EXPECT_EQ(e->code, "invalid_metadata") << bad;
  }
  EXPECT_EQ(f.metadata_json(), "{}");  // refusals change nothing
  std::string big = "{\"k\":\"" + std::string(16 * 1024, 'x') + "\"}";
  auto large = f.apply("metadata", big);
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413);
  EXPECT_TRUE(f.apply("tags", std::string(129, 't')));
  EXPECT_TRUE(f.apply("tags", "a\x01"));
  EXPECT_TRUE(f.apply("tags", "\xff"));
  FormFields many;
  std::string list;
  for (int i = 0; i < 64; ++i) list += "t" + std::to_string(i) + ",";
  EXPECT_FALSE(many.apply("tags", list));
  auto over = many.apply("tags", "one-more");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->code, "invalid_tags");
}

TEST(FormFields, FieldLimits) {
  FormFieldLimits limits;
  limits.max_field_bytes = 100;
  limits.max_metadata_bytes = 10;
  FormFields f(limits);
  EXPECT_EQ(f.limit_for("path"), 100u);
  EXPECT_EQ(f.limit_for("metadata"), 10u);
}

}  // namespace
}  // namespace sluice
