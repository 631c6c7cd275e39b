#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

struct Parsed {
  std::vector<std::string> targets;
  std::vector<std::string> bodies;
  int error = 0;
};

// Feeds `input` in pieces of the given sizes (cycled) and records what the parser reports.
Parsed parse_in_pieces(const std::string& input, const std::vector<size_t>& sizes) {
  RequestParser p;
  Parsed out;
  size_t pos = 0, k = 0;
  std::string body;
  while (pos < input.size() || k == 0) {
    size_t n = std::min(sizes[k++ % sizes.size()], input.size() - pos);
    std::span<const char> piece(input.data() + pos, n);
    pos += n;
    while (true) {
      auto step = p.feed(piece);
      piece = piece.subspan(step.consumed);
      if (step.event == RequestParser::Event::error) {
        out.error = p.error_status();
        return out;
      }
      if (step.event == RequestParser::Event::head_complete) out.targets.push_back(p.request().target);
      if (step.event == RequestParser::Event::body) body.append(step.body.data(), step.body.size());
      if (step.event == RequestParser::Event::message_complete) {
        out.bodies.push_back(body);
        body.clear();
      }
      if (step.event == RequestParser::Event::need_more && piece.empty()) break;
      if (step.event == RequestParser::Event::body) {
        EXPECT_FALSE(step.body.empty());
      }
    }
  }
  return out;
}

const std::string kPipeline =
    "PUT /v1/files/content?path=%2Fdocs&name=a+b.pdf HTTP/1.1\r\nHost: s\r\nContent-Length: 11\r\n"
    "Content-Type: application/pdf; note=\"a  b\t c\"\r\nX-Spaces: one two  three\r\n\r\nhello world"
    "POST /v1/files HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
    "GET /health HTTP/1.1\r\nHost: s\r\n\r\n";

TEST(RequestParser, SameResultWhateverTheSplit) {
  Parsed whole = parse_in_pieces(kPipeline, {kPipeline.size()});
  ASSERT_EQ(whole.error, 0);
  ASSERT_EQ(whole.targets.size(), 3u);
  EXPECT_EQ(whole.bodies, (std::vector<std::string>{"hello world", "wikipedia", ""}));
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::vector<size_t> sizes;
    for (int i = 0; i < 16; ++i) sizes.push_back(1 + rng() % 23);
    Parsed p = parse_in_pieces(kPipeline, sizes);
    EXPECT_EQ(p.error, 0);
    EXPECT_EQ(p.targets, whole.targets);
    EXPECT_EQ(p.bodies, whole.bodies);
  }
  Parsed bytewise = parse_in_pieces(kPipeline, {1});
  EXPECT_EQ(bytewise.bodies, whole.bodies);
}

TEST(RequestParser, RequestFacts) {
  RequestParser p;
  std::string head =
      "PUT /v1/files/content?path=%2Fdocs&name=a+b.pdf HTTP/1.1\r\nHost: s\r\nContent-Length: 11\r\n"
      "Expect: 100-continue\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n";
  auto step = p.feed(std::span<const char>(head.data(), head.size()));
  ASSERT_EQ(step.event, RequestParser::Event::head_complete);
  EXPECT_EQ(step.consumed, head.size());
  Request& r = p.request();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path(), "/v1/files/content");
  EXPECT_EQ(r.query_param("path"), "/docs");
  EXPECT_EQ(r.query_param("name"), "a b.pdf");
  EXPECT_FALSE(r.query_param("missing").has_value());
  EXPECT_EQ(r.content_length, 11u);
  EXPECT_TRUE(r.expect_continue);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.header("x-multi"), "1");
}

TEST(RequestParser, MalformedInputsGiveStatuses) {
  struct Case {
    std::string input;
    int status;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: identity\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: s\r\nContent-Length: -1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: s\r\nExpect: something\r\n\r\n", 417},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: s\r\n\r\n", 414},
      {"GET / HTTP/1.1\r\nHost: s\r\nX: " + std::string(17000, 'a') + "\r\n\r\n", 431},
      {"\x01\x02 garbage\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
  };
  for (const auto& c : cases) {
    Parsed whole = parse_in_pieces(c.input, {c.input.size()});
    EXPECT_EQ(whole.error, c.status) << c.input.substr(0, 60);
    Parsed small = parse_in_pieces(c.input, {7});
    EXPECT_EQ(small.error, c.status) << c.input.substr(0, 60);
  }
}

// RFC 9112 §3.2: Host is required in HTTP/1.1 and must not repeat.
TEST(RequestParser, HostHeaderMissingOrRepeatedIs400) {
  const std::string cases[] = {
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nX-Other: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
      "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
  };
  for (const auto& input : cases) {
    EXPECT_EQ(parse_in_pieces(input, {input.size()}).error, 400) << input;
    EXPECT_EQ(parse_in_pieces(input, {1}).error, 400) << input;
  }
  // HTTP/1.0 has no Host requirement.
  std::string old = "GET / HTTP/1.0\r\n\r\n";
  EXPECT_EQ(parse_in_pieces(old, {old.size()}).error, 0);
}

// RFC 9112 §5.2: obs-fold (a header line starting with SP or HTAB) is refused with 400,
// wherever the input happens to be split.
TEST(RequestParser, ObsFoldIs400) {
  const std::string cases[] = {
      "GET / HTTP/1.1\r\nHost: s\r\nX-A: one\r\n two\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: s\r\nX-A: one\r\n\ttwo\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: one\r\n Host: s\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: s\r\n  \r\n\r\n",
      "GET / HTTP/1.1\r\n Host: s\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: s\r\nX-A:\r\n two\r\n\r\n",
  };
  for (const auto& input : cases) {
    for (size_t piece : {input.size(), size_t{1}, size_t{2}, size_t{3}, size_t{5}}) {
      EXPECT_EQ(parse_in_pieces(input, {piece}).error, 400) << piece << ": " << input;
    }
  }
}

// The server feeds its released (null, empty) buffer to finish a bodiless message; llhttp must
// not be handed null + 0 (undefined behaviour: clang's UBSan stopped here; found by request_parser_fuzz).
TEST(RequestParser, NullEmptySpanFinishesABodilessRequest) {
  RequestParser p;
  std::string head = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  auto step = p.feed(std::span<const char>(head.data(), head.size()));
  ASSERT_EQ(step.event, RequestParser::Event::head_complete);
  EXPECT_EQ(step.consumed, head.size());
  step = p.feed(std::span<const char>());
  EXPECT_EQ(step.event, RequestParser::Event::message_complete);
  EXPECT_EQ(step.consumed, 0u);
  step = p.feed(std::span<const char>());
  EXPECT_EQ(step.event, RequestParser::Event::need_more);
  EXPECT_TRUE(p.between_messages());
}

}  // namespace
}  // namespace sluice
