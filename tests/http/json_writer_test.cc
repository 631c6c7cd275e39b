#include "http/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace sluice::http {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string json_string(std::string_view s) {
  std::string out;
  JsonWriter::append_string(out, s);
  return out;
}

// Parses `json` with simdjson (which also checks UTF-8), failing the test if it is invalid.
simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  auto error = parser.parse(json).get(doc);
  EXPECT_EQ(error, simdjson::SUCCESS) << simdjson::error_message(error) << " in " << json;
  return doc;
}

TEST(JsonWriter, ContainersAndCommas) {
  std::string out;
  JsonWriter w(out);
  EXPECT_FALSE(w.complete());
  w.begin_object()
      .key("a").int64(1)
      .key("b").begin_array().end_array()
      .key("c").begin_object().end_object()
      .key("d").begin_array().int64(1).string("x").null().boolean(true).boolean(false)
      .begin_object().key("e").null().end_object().begin_array().int64(2).end_array().end_array()
      .key("raw").raw(R"({"k":[1,2]})")
      .end_object();
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(out, R"({"a":1,"b":[],"c":{},"d":[1,"x",null,true,false,{"e":null},[2]],"raw":{"k":[1,2]}})");
}

TEST(JsonWriter, AppendsToExistingText) {
  std::string out = "prefix:";
  JsonWriter(out).begin_array().raw("1").raw("2").end_array();
  EXPECT_EQ(out, "prefix:[1,2]");
  std::string scalar;
  JsonWriter s(scalar);
  s.string("only");
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(scalar, "\"only\"");
}

TEST(JsonWriter, EscapesControlCharactersQuotesAndBackslashes) {
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("plain / text"), "\"plain / text\"");
  EXPECT_EQ(json_string("\"\\\b\f\n\r\t"), R"("\"\\\b\f\n\r\t")");
  EXPECT_EQ(json_string(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  std::string out;
  JsonWriter(out).begin_object().key("k\"\n").string("v").end_object();
  EXPECT_EQ(out, R"({"k\"\n":"v"})");
}

TEST(JsonWriter, PassesValidUtf8Through) {
  const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf \xed\x9f\xbf";
  EXPECT_EQ(json_string(s), "\"" + s + "\"");
}

TEST(JsonWriter, ReplacesInvalidUtf8) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"\x80", kFffd},                                        // lone continuation byte
      {"a\xff" "b", "a" + kFffd + "b"},                       // never valid
      {"\xc0\x80", kFffd + kFffd},                            // overlong NUL
      {"\xe0\x80\x80", kFffd + kFffd + kFffd},                // overlong 3-byte
      {"\xed\xa0\x80", kFffd + kFffd + kFffd},                // UTF-16 surrogate
      {"\xf4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},    // past U+10FFFF
      {"\xe2\x82" "A", kFffd + "A"},                          // truncated, one U+FFFD for the subpart
      {"\xf0\x9f\x98", kFffd},                                // truncated at end of string
      {"\xc3", kFffd},
      {"\xc3\xa9\xa9", "\xc3\xa9" + kFffd},
      {"\xe2\x82\"", kFffd + "\\\""},                         // truncated before an escaped char
  };
  for (const auto& c : cases) EXPECT_EQ(json_string(c.in), "\"" + c.out + "\"") << testing::PrintToString(c.in);
}

TEST(JsonWriter, Integers) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .int64(0).int64(-1)
      .int64(std::numeric_limits<std::int64_t>::min()).int64(std::numeric_limits<std::int64_t>::max())
      .uint64(std::numeric_limits<std::uint64_t>::max())
      .end_array();
  EXPECT_EQ(out, "[0,-1,-9223372036854775808,9223372036854775807,18446744073709551615]");
  simdjson::dom::parser parser;
  auto doc = parse(parser, out);
  EXPECT_EQ(int64_t(doc.at(2)), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(uint64_t(doc.at(4)), std::numeric_limits<std::uint64_t>::max());
}

TEST(JsonWriter, DoublesRoundTripAndNonFiniteBecomesNull) {
  const double values[] = {0.0, -0.0, 0.1, 1.0 / 3, -2.5e-300, 1e300, 5e-324,
                           std::numeric_limits<double>::max(), 123456789.0};
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (double v : values) w.number(v);
  w.number(std::nan("")).number(std::numeric_limits<double>::infinity()).number(-std::numeric_limits<double>::infinity());
  w.end_array();
  EXPECT_TRUE(out.starts_with("[0,-0.0,0.1,")) << out;
  EXPECT_TRUE(out.ends_with(",null,null,null]")) << out;
  simdjson::dom::parser parser;
  simdjson::dom::array array = parse(parser, out).get_array();
  std::size_t i = 0;
  for (auto element : array) {
    if (i < std::size(values)) {
      double got = 0;
      ASSERT_EQ(element.get_double().get(got), simdjson::SUCCESS) << i;
      EXPECT_EQ(got, values[i]) << i;
      EXPECT_EQ(std::signbit(got), std::signbit(values[i])) << i;
    } else {
      EXPECT_TRUE(element.is_null()) << i;
    }
    ++i;
  }
  EXPECT_EQ(i, std::size(values) + 3);
}

// Random strings of code points (controls, quotes, backslashes, every UTF-8 length) come back
// from simdjson byte-identical, as keys and as values.
TEST(JsonWriter, ValidStringsRoundTripThroughSimdjson) {
  std::mt19937_64 rng(1);
  const std::uint32_t ranges[][2] = {{0, 0x1f}, {0x20, 0x7f}, {0x80, 0x7ff}, {0x800, 0xd7ff}, {0xe000, 0xffff},
                                     {0x10000, 0x10ffff}};
  std::vector<std::string> strings;
  for (int n = 0; n < 500; ++n) {
    std::string s;
    for (int len = rng() % 40; len > 0; --len) {
      const auto& r = ranges[rng() % std::size(ranges)];
      std::uint32_t cp = r[0] + static_cast<std::uint32_t>(rng() % (r[1] - r[0] + 1));
      if (rng() % 8 == 0) cp = "\"\\/"[rng() % 3];
      if (cp < 0x80) {
        s.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        s += {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
      } else if (cp < 0x10000) {
        s += {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
              static_cast<char>(0x80 | (cp & 0x3f))};
      } else {
        s += {static_cast<char>(0xf0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
      }
    }
    ASSERT_TRUE(simdjson::validate_utf8(s));
    strings.push_back(std::move(s));
  }
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& s : strings) w.begin_object().key(s).string(s).end_object();
  w.end_array();
  simdjson::dom::parser parser;
  simdjson::dom::array array = parse(parser, out).get_array();
  std::size_t i = 0;
  for (simdjson::dom::object object : array) {
    for (auto [key, value] : object) {
      EXPECT_EQ(key, strings[i]);
      EXPECT_EQ(std::string_view(value), strings[i]);
    }
    ++i;
  }
  EXPECT_EQ(i, strings.size());
}

// Random bytes always make valid JSON; where they happened to be valid UTF-8 they come back as is.
TEST(JsonWriter, ArbitraryBytesAlwaysGiveValidJson) {
  std::mt19937_64 rng(2);
  simdjson::dom::parser parser;
  int invalid_inputs = 0;
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    for (int len = rng() % 16; len > 0; --len) s.push_back(static_cast<char>(rng()));
    std::string out;
    JsonWriter(out).begin_array().string(s).end_array();
    std::string_view got;
    ASSERT_EQ(parse(parser, out).at(0).get_string().get(got), simdjson::SUCCESS) << out;
    if (simdjson::validate_utf8(s)) {
      EXPECT_EQ(got, s);
    } else {
      ++invalid_inputs;
      EXPECT_NE(got.find(kFffd), std::string_view::npos);
    }
  }
  EXPECT_GT(invalid_inputs, 1000);
}

}  // namespace
}  // namespace sluice::http
