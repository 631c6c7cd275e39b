// The listing's sort parameter and keyset cursor codec, and the statement the listing builds
// (parameters only, LIKE wildcards in q escaped).
#include "storage/service/files/listing_cursor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/service/auth/base64url.h"
#include "storage/service/files/file_listing.h"

namespace sluice {
namespace {

TEST(ListingCursor, ParsesEverySortBothWays) {
  for (const char* key : {"createdAt", "updatedAt", "name", "size"}) {
    for (bool desc : {false, true}) {
      std::string text = (desc ? "-" : "") + std::string(key);
      auto s = parse_file_sort(text);
      ASSERT_TRUE(s.ok()) << text;
      EXPECT_EQ(s->descending, desc);
      EXPECT_EQ(file_sort_name(*s), text);
    }
  }
  for (const char* bad : {"", "-", "created_at", "+name", "--size", "Name", "name "}) {
    auto s = parse_file_sort(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().reason, "invalid_request");
  }
}

TEST(ListingCursor, RoundTrips) {
  std::vector<ListingCursor> cases;
  cases.push_back({*parse_file_sort("-createdAt"), "1772323200000123", "0a1b2c3d-0000-4000-8000-00000000abcd"});
  cases.push_back({*parse_file_sort("updatedAt"), "-5", "0a1b2c3d-0000-4000-8000-00000000abcd"});
  cases.push_back({*parse_file_sort("size"), "0", "ffffffff-ffff-4fff-bfff-ffffffffffff"});
  cases.push_back({*parse_file_sort("-name"), "a name\nwith newline, é and %_\\", "00000000-0000-4000-8000-000000000000"});
  for (const auto& c : cases) {
    std::string text = encode_listing_cursor(c);
    for (char ch : text) EXPECT_TRUE(isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << text;
    auto back = decode_listing_cursor(text, c.sort);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->value, c.value);
    EXPECT_EQ(back->id, c.id);
    EXPECT_TRUE(back->sort == c.sort);
  }
}

TEST(ListingCursor, RefusesCursorsOfAnotherSortOrMalformed) {
  ListingCursor c{*parse_file_sort("name"), "x", "0a1b2c3d-0000-4000-8000-00000000abcd"};
  std::string text = encode_listing_cursor(c);
  auto other = decode_listing_cursor(text, *parse_file_sort("-name"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().reason, "invalid_cursor");
  EXPECT_NE(other.error().message.find("sort=name"), std::string::npos) << other.error().message;
  FileSort by_size = *parse_file_sort("size");
  FileSort by_time = *parse_file_sort("-createdAt");
  auto enc = [](std::string raw) { return auth::base64url_encode(raw); };
  struct Bad {
    std::string text;
    FileSort sort;
  };
  std::vector<Bad> bad = {
      {"", by_size},
      {"!!!", by_size},
      {"YQ=", by_size},  // padding
      {std::string(600, 'A'), by_size},
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd"), by_size},          // no value line
      {enc("c2\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd\n5"), by_size},       // another layout
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000ABCD\n5"), by_size},       // id not canonical
      {enc("c1\nsize\nnot-a-uuid\n5"), by_size},
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd\n-5"), by_size},      // negative size
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd\n05"), by_size},      // not canonical
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd\n5x"), by_size},
      {enc("c1\nsize\n0a1b2c3d-0000-4000-8000-00000000abcd\n99999999999999999999"), by_size},
      {enc("c1\n-createdAt\n0a1b2c3d-0000-4000-8000-00000000abcd\n1.5"), by_time},
      {enc("c1\nname\n0a1b2c3d-0000-4000-8000-00000000abcd\n"), *parse_file_sort("name")},  // empty name
  };
  for (const auto& b : bad) {
    auto r = decode_listing_cursor(b.text, b.sort);
    EXPECT_FALSE(r.ok()) << b.text;
    if (!r.ok()) {
      EXPECT_EQ(r.error().reason, "invalid_cursor") << b.text;
    }
  }
}

TEST(ListingSql, ValuesAreParametersAndQIsTakenLiterally) {
  service::FileListing l;
  l.filter.path = "/a'; DROP TABLE x; --";
  l.filter.recursive = true;
  l.filter.name_contains = "50%_off\\";
  l.filter.content_type = "image/*";
  l.filter.tags = {"red", "blue"};
  l.sort = *parse_file_sort("-size");
  l.limit = 7;
  auto q = service::listing_sql("owner-1", l);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->sql.find("DROP"), std::string::npos);
  EXPECT_EQ(q->sql.find("50%"), std::string::npos);
  std::vector<std::string> params;
  for (int i = 0; i < q->params.size(); ++i) params.emplace_back(q->params.text(i));
  ASSERT_EQ(params.size(), 9u) << q->sql;  // owner, 4 for the subtree, q, type, tags, limit
  EXPECT_EQ(params[0], "owner-1");
  EXPECT_EQ(params[1], "/a'; DROP TABLE x; --");
  EXPECT_EQ(params[2], "/a'; DROP TABLE x; --0");
  EXPECT_EQ(params[4], "/a'; DROP TABLE x; --/");
  EXPECT_EQ(params[5], "%50\\%\\_off\\\\%");
  EXPECT_EQ(params[6], "image/%");
  EXPECT_EQ(params[8], "8");  // one row more than the limit: is there a next page?
  EXPECT_NE(q->sql.find("ORDER BY f.size DESC, f.id DESC LIMIT $9"), std::string::npos) << q->sql;
  // Bounds the service checks on its own.
  service::FileListing bad = l;
  bad.limit = 0;
  EXPECT_FALSE(service::listing_sql("o", bad).ok());
  bad.limit = 1001;
  EXPECT_FALSE(service::listing_sql("o", bad).ok());
  bad = l;
  bad.filter.content_type = "image/p%g";
  EXPECT_FALSE(service::listing_sql("o", bad).ok());
  bad = l;
  bad.filter.path.reset();
  EXPECT_FALSE(service::listing_sql("o", bad).ok());  // recursive without a path
}

}  // namespace
}  // namespace sluice
