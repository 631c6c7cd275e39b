// Unit tests for the PostgreSQL value codecs and the SQLSTATE mapping (no server needed).
#include <gtest/gtest.h>

#include "db/pg_array.h"
#include "db/pg_error.h"
#include "db/pg_params.h"

namespace sluice {
namespace {

TEST(PgArray, EncodesEveryElementQuoted) {
  PgTextArray a{std::string("a,b"), std::nullopt, std::string("q\"uote"), std::string("back\\slash"), std::string("")};
  EXPECT_EQ(pg_encode_text_array(std::span<const std::optional<std::string>>(a)),
            R"({"a,b",NULL,"q\"uote","back\\slash",""})");
  std::vector<std::string> plain;
  EXPECT_EQ(pg_encode_text_array(std::span<const std::string>(plain)), "{}");
}

TEST(PgArray, DecodesServerOutput) {
  auto a = pg_decode_text_array(R"({plain,"with space","q\"x",NULL,"NULL",""," x "})");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->size(), 7u);
  EXPECT_EQ((*a)[0], "plain");
  EXPECT_EQ((*a)[1], "with space");
  EXPECT_EQ((*a)[2], "q\"x");
  EXPECT_FALSE((*a)[3].has_value());
  EXPECT_EQ((*a)[4], "NULL");  // quoted: the text, not a NULL
  EXPECT_EQ((*a)[5], "");
  EXPECT_EQ((*a)[6], " x ");
  auto empty = pg_decode_text_array("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto dims = pg_decode_text_array("[0:1]={a,b}");
  ASSERT_TRUE(dims.ok());
  EXPECT_EQ(dims->size(), 2u);
}

TEST(PgArray, RoundTripsThroughEncodeAndDecode) {
  PgTextArray in{std::string("{brace}"), std::string("a\\\"b"), std::nullopt, std::string("é ü"), std::string(",")};
  auto out = pg_decode_text_array(pg_encode_text_array(std::span<const std::optional<std::string>>(in)));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, in);
}

TEST(PgArray, RejectsMalformedText) {
  EXPECT_FALSE(pg_decode_text_array("a,b").ok());
  EXPECT_FALSE(pg_decode_text_array("{\"open}").ok());
  EXPECT_FALSE(pg_decode_text_array("{{1,2},{3,4}}").ok());
  EXPECT_FALSE(pg_decode_text_array("{a,}").ok());
  EXPECT_FALSE(pg_decode_text_array("{\"a\"b}").ok());
}

TEST(PgParams, EncodesTypesAsText) {
  std::optional<int64_t> none;
  PgParams p(42, int64_t{-7}, true, false, "text", std::string("s"), std::string_view("v"), kPgNull, none,
             std::optional<int>(5), 1.5, std::vector<std::string>{"a", "b"});
  ASSERT_EQ(p.size(), 12);
  EXPECT_EQ(p.text(0), "42");
  EXPECT_EQ(p.text(1), "-7");
  EXPECT_EQ(p.text(2), "t");
  EXPECT_EQ(p.text(3), "f");
  EXPECT_EQ(p.text(4), "text");
  EXPECT_EQ(p.text(5), "s");
  EXPECT_EQ(p.text(6), "v");
  EXPECT_TRUE(p.is_null(7));
  EXPECT_TRUE(p.is_null(8));
  EXPECT_EQ(p.text(9), "5");
  EXPECT_EQ(p.text(10), "1.5");
  EXPECT_EQ(p.text(11), R"({"a","b"})");
  const char* const* v = p.c_values();
  EXPECT_STREQ(v[0], "42");
  EXPECT_EQ(v[7], nullptr);
}

TEST(PgError, MapsSqlstates) {
  EXPECT_EQ(pg_errc_for_sqlstate("23505"), Errc::already_exists);
  EXPECT_EQ(pg_errc_for_sqlstate("23514"), Errc::invalid_argument);
  EXPECT_EQ(pg_errc_for_sqlstate("40001"), Errc::conflict);
  EXPECT_EQ(pg_errc_for_sqlstate("40P01"), Errc::conflict);
  EXPECT_EQ(pg_errc_for_sqlstate("57014"), Errc::timeout);
  EXPECT_EQ(pg_errc_for_sqlstate("57P01"), Errc::unavailable);
  EXPECT_EQ(pg_errc_for_sqlstate("08006"), Errc::unavailable);
  EXPECT_EQ(pg_errc_for_sqlstate("22012"), Errc::invalid_argument);
  EXPECT_EQ(pg_errc_for_sqlstate("42P01"), Errc::internal);
  EXPECT_EQ(pg_errc_for_sqlstate("28P01"), Errc::unauthenticated);
  EXPECT_EQ(pg_errc_for_sqlstate("bad"), Errc::internal);
}

}  // namespace
}  // namespace sluice
