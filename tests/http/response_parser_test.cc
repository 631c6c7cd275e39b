#include "http/response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

using Event = ResponseParser::Event;

// Feeds `wire` in pieces of `step` bytes; collects the events and body.
struct Collected {
  std::vector<Event> events;
  std::string body;
  bool error = false;
};

Collected parse_all(ResponseParser& p, std::string_view wire, size_t step) {
  Collected c;
  size_t pos = 0;
  while (pos < wire.size()) {
    std::string_view piece = wire.substr(pos, std::min(step, wire.size() - pos));
    size_t used = 0;
    for (;;) {
      auto s = p.feed(std::span<const char>(piece.data() + used, piece.size() - used));
      used += s.consumed;
      if (s.event == Event::error) {
        c.error = true;
        return c;
      }
      if (s.event == Event::need_more) break;
      c.events.push_back(s.event);
      if (s.event == Event::body) c.body.append(s.body.data(), s.body.size());
    }
    pos += piece.size();
  }
  return c;
}

TEST(ResponseParser, ContentLengthBodyByteByByte) {
  ResponseParser p;
  std::string wire = "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 5\r\n\r\nhello";
  auto c = parse_all(p, wire, 1);
  ASSERT_FALSE(c.error) << p.error_message();
  EXPECT_EQ(c.body, "hello");
  ASSERT_GE(c.events.size(), 2u);
  EXPECT_EQ(c.events.front(), Event::head_complete);
  EXPECT_EQ(c.events.back(), Event::message_complete);
  EXPECT_EQ(p.head().status, 200);
  EXPECT_EQ(p.head().header("etag"), "\"abc\"");
  EXPECT_EQ(p.head().content_length, 5u);
  EXPECT_TRUE(p.head().keep_alive);
}

TEST(ResponseParser, ChunkedBodyAndTwoResponsesInOneBuffer) {
  ResponseParser p;
  std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  auto c = parse_all(p, wire, wire.size());
  ASSERT_FALSE(c.error) << p.error_message();
  EXPECT_EQ(c.body, "abcde");
  int completes = 0;
  for (auto e : c.events) completes += e == Event::message_complete;
  EXPECT_EQ(completes, 2);
  EXPECT_EQ(p.head().status, 404);
}

TEST(ResponseParser, HeadResponseHasNoBody) {
  ResponseParser p;
  p.expect_response_to("HEAD");
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  auto s = p.feed(std::span<const char>(wire.data(), wire.size()));
  EXPECT_EQ(s.event, Event::head_complete);
  EXPECT_EQ(p.head().content_length, 1000u);
  auto done = p.feed({});
  EXPECT_EQ(done.event, Event::message_complete);
}

TEST(ResponseParser, ZeroLengthBodyCompletesWithoutMoreBytes) {
  ResponseParser p;
  std::string wire = "HTTP/1.1 204 No Content\r\n\r\n";
  auto s = p.feed(std::span<const char>(wire.data(), wire.size()));
  EXPECT_EQ(s.event, Event::head_complete);
  auto rest = std::span<const char>(wire.data() + s.consumed, wire.size() - s.consumed);
  EXPECT_TRUE(rest.empty());
  // No more bytes will come: the message must complete on empty input.
  EXPECT_EQ(p.feed(rest).event, Event::message_complete);
}

TEST(ResponseParser, InterimContinueIsSkipped) {
  ResponseParser p;
  std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  auto c = parse_all(p, wire, 7);
  ASSERT_FALSE(c.error) << p.error_message();
  EXPECT_EQ(p.head().status, 201);
  EXPECT_EQ(c.body, "ok");
  EXPECT_EQ(c.events.front(), Event::head_complete);
}

TEST(ResponseParser, BodyUntilCloseEndsAtFinish) {
  ResponseParser p;
  std::string wire = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstream";
  auto c = parse_all(p, wire, 4);
  ASSERT_FALSE(c.error);
  EXPECT_EQ(c.body, "stream");
  EXPECT_EQ(p.finish().event, Event::message_complete);
  EXPECT_FALSE(p.head().keep_alive);
}

TEST(ResponseParser, TruncatedBodyIsAnError) {
  ResponseParser p;
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  auto c = parse_all(p, wire, wire.size());
  ASSERT_FALSE(c.error);
  EXPECT_EQ(p.finish().event, Event::error);
  EXPECT_NE(p.error_message().find("middle of the response body"), std::string::npos) << p.error_message();
}

TEST(ResponseParser, GarbageAndOversizedHeadsAreErrors) {
  {
    ResponseParser p;
    std::string wire = "NOT HTTP AT ALL\r\n\r\n";
    EXPECT_TRUE(parse_all(p, wire, wire.size()).error);
  }
  {
    ResponseParser p(ResponseParserLimits{.max_head_bytes = 64, .max_headers = 10});
    std::string wire = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n";
    EXPECT_TRUE(parse_all(p, wire, 16).error);
    EXPECT_NE(p.error_message().find("larger than 64"), std::string::npos) << p.error_message();
  }
  {
    ResponseParser p;
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
    EXPECT_TRUE(parse_all(p, wire, wire.size()).error);
  }
}

}  // namespace
}  // namespace sluice
