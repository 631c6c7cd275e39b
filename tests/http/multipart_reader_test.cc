#include "http/multipart_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sluice::http {
namespace {

using Kind = MultipartEvent::Kind;

constexpr std::string_view kBoundary = "AaB03x";

// What a body parsed to, with adjacent data events joined so different splits compare equal.
struct Transcript {
  std::vector<std::string> events;
  std::optional<Error> error;
  std::vector<std::uint64_t> part_sizes;  // part_bytes() at each part_end
};

std::vector<std::size_t> one_piece(std::size_t n) { return {n}; }
std::vector<std::size_t> byte_by_byte(std::size_t n) { return std::vector<std::size_t>(n, 1); }
std::vector<std::size_t> random_splits(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Mostly tiny pieces (to cut delimiters everywhere), sometimes empty or large ones.
  std::uniform_int_distribution<std::size_t> small(0, 12);
  std::uniform_int_distribution<std::size_t> large(0, 300);
  std::vector<std::size_t> sizes;
  for (std::size_t total = 0; total < n;) {
    std::size_t s = std::min(n - total, (rng() % 4 == 0) ? large(rng) : small(rng));
    sizes.push_back(s);
    total += s;
  }
  return sizes;
}

// Feeds `body` in pieces of the given sizes, each in its own heap buffer freed once consumed, so
// a reader that kept a pointer into an old piece reads freed memory (ASan builds catch it).
Transcript run(std::string_view body, const std::vector<std::size_t>& sizes, MultipartLimits limits = {},
               std::string_view boundary = kBoundary) {
  Transcript t;
  MultipartReader reader(boundary, limits);
  std::unique_ptr<std::vector<char>> piece;
  std::size_t offset = 0;
  std::size_t next_piece = 0;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    auto ev = reader.next();
    if (!ev.ok()) {
      t.error = ev.error();
      auto again = reader.next();  // errors are sticky
      EXPECT_FALSE(again.ok());
      if (!again.ok()) {
        EXPECT_EQ(again.error().message, ev.error().message);
      }
      return t;
    }
    switch (ev->kind) {
      case Kind::need_more:
        if (next_piece == sizes.size()) {
          reader.finish();
        } else {
          std::size_t n = sizes[next_piece++];
          piece = std::make_unique<std::vector<char>>(body.begin() + offset, body.begin() + offset + n);
          offset += n;
          reader.feed(std::span<const char>(piece->data(), piece->size()));
        }
        break;
      case Kind::part_begin: {
        const MultipartPart& p = reader.part();
        t.events.push_back("begin name=" + p.name + " filename=" + (p.filename ? "\"" + *p.filename + "\"" : "(none)") +
                           " type=" + p.content_type);
        break;
      }
      case Kind::data: {
        EXPECT_FALSE(ev->data.empty());
        const char* b = ev->data.data();
        bool in_piece = piece && b >= piece->data() && b + ev->data.size() <= piece->data() + piece->size();
        // Only the held-back delimiter prefix may be delivered from the reader's own memory.
        if (!in_piece) {
          EXPECT_LE(ev->data.size(), boundary.size() + 4);
        }
        std::string bytes(ev->data.begin(), ev->data.end());
        if (!t.events.empty() && t.events.back().starts_with("data ")) {
          t.events.back() += bytes;
        } else {
          t.events.push_back("data " + bytes);
        }
        break;
      }
      case Kind::part_end:
        t.events.push_back("end");
        t.part_sizes.push_back(reader.part_bytes());
        break;
      case Kind::done:
        t.events.push_back("done");
        EXPECT_EQ(reader.next()->kind, Kind::done);
        return t;
    }
  }
  ADD_FAILURE() << "reader made no progress";
  return t;
}

std::string describe(const Transcript& t) {
  std::string s;
  for (const auto& e : t.events) s += "[" + e + "]\n";
  if (t.error) s += "error: " + std::string(errc_name(t.error->code)) + ": " + t.error->message + "\n";
  return s;
}

// Parses `body` whole, byte by byte and in many random splits; all must agree. Returns the result.
Transcript run_all_ways(std::string_view body, MultipartLimits limits = {}, std::string_view boundary = kBoundary,
                        int seeds = 200) {
  Transcript whole = run(body, one_piece(body.size()), limits, boundary);
  const std::string expected = describe(whole);
  EXPECT_EQ(describe(run(body, byte_by_byte(body.size()), limits, boundary)), expected) << "byte by byte";
  for (int seed = 1; seed <= seeds; ++seed) {
    std::string got = describe(run(body, random_splits(body.size(), seed), limits, boundary));
    EXPECT_EQ(got, expected) << "seed " << seed;
    if (got != expected) break;
  }
  return whole;
}

std::string part(std::string_view headers, std::string_view content, std::string_view boundary = kBoundary) {
  return "--" + std::string(boundary) + "\r\n" + std::string(headers) + "\r\n" + std::string(content) + "\r\n";
}
std::string close(std::string_view boundary = kBoundary) { return "--" + std::string(boundary) + "--\r\n"; }

std::string field(std::string_view name, std::string_view value) {
  return part("Content-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n", value);
}

void expect_error(std::string_view body, Errc code, const std::string& message_part, MultipartLimits limits = {}) {
  Transcript t = run_all_ways(body, limits, kBoundary, 50);
  ASSERT_TRUE(t.error.has_value()) << describe(t);
  EXPECT_EQ(t.error->code, code) << t.error->message;
  EXPECT_NE(t.error->message.find(message_part), std::string::npos) << t.error->message;
}

TEST(ParseBoundary, UnquotedAndQuoted) {
  EXPECT_EQ(*parse_boundary("multipart/form-data; boundary=AaB03x"), "AaB03x");
  EXPECT_EQ(*parse_boundary("Multipart/Form-Data;BOUNDARY=\"a b:c?\" ; charset=utf-8"), "a b:c?");
  EXPECT_EQ(*parse_boundary("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  EXPECT_EQ(*parse_boundary("multipart/form-data; boundary==_Part_1=?x"), "=_Part_1=?x");
  EXPECT_EQ(parse_boundary("multipart/form-data; boundary=" + std::string(70, 'b'))->size(), 70u);
}

TEST(ParseBoundary, RejectsBadHeaders) {
  struct Case {
    std::string header;
    std::string_view message;
  };
  const Case cases[] = {
      {"multipart/form-data", "no boundary"},
      {"multipart/mixed; boundary=x", "not multipart/form-data"},
      {"multipart/form-data; boundary=\"\"", "1-70"},
      {"multipart/form-data; boundary=" + std::string(71, 'b'), "1-70"},
      {"multipart/form-data; boundary=\"ab \"", "not ending in space"},
      {"multipart/form-data; boundary=a\"b", "1-70"},
      {"multipart/form-data; boundary=\"abc", "unterminated"},
      {"multipart/form-data; boundary=a; boundary=b", "two boundary"},
      {"multipart/form-data; boundary", "without '='"},
      {"", "no value"},
  };
  for (const auto& c : cases) {
    auto r = parse_boundary(c.header);
    ASSERT_FALSE(r.ok()) << c.header;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.header << " -> " << r.error().message;
  }
}

TEST(MultipartReader, FieldsAndFilesAnySplit) {
  std::string body = field("title", "Holiday") +
                     part("Content-Disposition: form-data; name=\"a\"; filename=\"a.txt\"\r\n"
                          "Content-Type: text/plain\r\n",
                          "line one\r\nline two\r\n") +
                     field("empty", "") +
                     part("content-disposition: FORM-DATA; NAME=b; FILENAME=b.bin\r\n"
                          "CONTENT-TYPE: application/octet-stream\r\nX-Extra: 1\r\n",
                          std::string("\0\1\2\r\n\r\n\xff", 8)) +
                     close();
  Transcript t = run_all_ways(body);
  ASSERT_FALSE(t.error) << t.error->message;
  const std::vector<std::string> expected = {
      "begin name=title filename=(none) type=",
      "data Holiday",
      "end",
      "begin name=a filename=\"a.txt\" type=text/plain",
      "data line one\r\nline two\r\n",
      "end",
      "begin name=empty filename=(none) type=",
      "end",
      "begin name=b filename=\"b.bin\" type=application/octet-stream",
      "data " + std::string("\0\1\2\r\n\r\n\xff", 8),
      "end",
      "done",
  };
  EXPECT_EQ(t.events, expected);
  EXPECT_EQ(t.part_sizes, (std::vector<std::uint64_t>{7, 20, 0, 8}));
}

TEST(MultipartReader, BinaryWithDelimiterLookalikes) {
  const std::string lookalikes[] = {"\r", "\r\n", "\r\n-", "\r\n--", "\r\n--A", "\r\n--AaB03",
                                    "--AaB03x", "\r\r\n--AaB03", "\n--AaB03x\r\n", "\r\n-AaB03x"};
  std::mt19937_64 rng(7);
  std::string content;
  for (int i = 0; i < 300; ++i) {
    if (rng() % 3 == 0) {
      content += lookalikes[rng() % std::size(lookalikes)];
    } else {
      for (int j = rng() % 20; j > 0; --j) content.push_back(static_cast<char>(rng()));
    }
  }
  content += "\r\n--AaB03";  // a lookalike right before the real delimiter
  // Random bytes can complete a lookalike into the real delimiter; break those.
  for (std::size_t at = content.find("\r\n--AaB03x"); at != std::string::npos; at = content.find("\r\n--AaB03x")) {
    content[at + 9] = 'y';
  }
  std::string body = part("Content-Disposition: form-data; name=f; filename=\"x.bin\"\r\n", content) +
                     part("Content-Disposition: form-data; name=g\r\n", "\r\n--AaB03\r") + close();
  Transcript t = run_all_ways(body);
  ASSERT_FALSE(t.error) << t.error->message;
  ASSERT_EQ(t.events.size(), 7u);
  EXPECT_EQ(t.events[1], "data " + content);
  EXPECT_EQ(t.events[4], "data \r\n--AaB03\r");
  EXPECT_EQ(t.part_sizes[0], content.size());
}

TEST(MultipartReader, EmptyFilePartAndEmptyBodyParts) {
  std::string body = part("Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
                          "Content-Type: application/octet-stream\r\n",
                          "") +
                     part("", "no headers is malformed") + close();
  // The empty file part parses; the header-less part then fails (RFC 7578 requires a name).
  Transcript t = run_all_ways(body);
  ASSERT_GE(t.events.size(), 2u);
  EXPECT_EQ(t.events[0], "begin name=file filename=\"\" type=application/octet-stream");
  EXPECT_EQ(t.events[1], "end");
  ASSERT_TRUE(t.error);
  EXPECT_EQ(t.error->message, "multipart: part 2: no Content-Disposition header");
}

TEST(MultipartReader, CurlFormBody) {
  // What `curl -F person=anonymous -F secret=@file.txt -F 'pic=@a b.png;type=image/png'` sends.
  const std::string content_type = "multipart/form-data; boundary=------------------------d74496d66958873e";
  const std::string body =
      "--------------------------d74496d66958873e\r\n"
      "Content-Disposition: form-data; name=\"person\"\r\n"
      "\r\n"
      "anonymous\r\n"
      "--------------------------d74496d66958873e\r\n"
      "Content-Disposition: form-data; name=\"secret\"; filename=\"file.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "contents of the file\n\r\n"
      "--------------------------d74496d66958873e\r\n"
      "Content-Disposition: form-data; name=\"pic\"; filename=\"a b.png\"\r\n"
      "Content-Type: image/png\r\n"
      "\r\n"
      "\x89PNG\r\n\x1a\n\r\n"
      "--------------------------d74496d66958873e--\r\n";
  auto boundary = parse_boundary(content_type);
  ASSERT_TRUE(boundary.ok());
  Transcript t = run_all_ways(body, {}, *boundary);
  ASSERT_FALSE(t.error) << t.error->message;
  const std::vector<std::string> expected = {
      "begin name=person filename=(none) type=", "data anonymous", "end",
      "begin name=secret filename=\"file.txt\" type=text/plain", "data contents of the file\n", "end",
      "begin name=pic filename=\"a b.png\" type=image/png", "data \x89PNG\r\n\x1a\n", "end", "done",
  };
  EXPECT_EQ(t.events, expected);
}

TEST(MultipartReader, PreambleEpilogueAndPadding) {
  std::string body = "This is a preamble with --AaB03 and \r\n--AaB0 lookalikes.\r\n"
                     "--AaB03x \t \r\n"
                     "Content-Disposition: form-data; name=a\r\n\r\nA\r\n"
                     "--AaB03x\t\r\n"
                     "Content-Disposition: form-data; name=b\r\n\r\nB\r\n"
                     "--AaB03x--  \r\nepilogue --AaB03x\r\n garbage";
  Transcript t = run_all_ways(body);
  ASSERT_FALSE(t.error) << t.error->message;
  EXPECT_EQ(t.events, (std::vector<std::string>{"begin name=a filename=(none) type=", "data A", "end",
                                                "begin name=b filename=(none) type=", "data B", "end", "done"}));
  // A body that is only the close delimiter has no parts.
  EXPECT_EQ(run_all_ways("--AaB03x--").events, std::vector<std::string>{"done"});
}

TEST(MultipartReader, FilenameForms) {
  struct Case {
    std::string disposition;
    std::string filename;
  };
  const Case cases[] = {
      {R"(form-data; name="f"; filename="say \"hi\".txt")", "say \"hi\".txt"},
      {R"(form-data; name="f"; filename="a;b=c; d.txt")", "a;b=c; d.txt"},
      {"form-data; name=\"f\"; filename=\"caf\xc3\xa9 \xe2\x82\xac.txt\"", "caf\xc3\xa9 \xe2\x82\xac.txt"},
      {R"(form-data; name="f"; filename="C:\dir\file.txt")", R"(C:\dir\file.txt)"},
      {R"(form-data; name="f"; filename="back\\slash")", R"(back\slash)"},
      {R"(form-data; name="f"; filename="a%22b.txt")", "a%22b.txt"},
      {R"(form-data; name="f"; filename="--AaB03x")", "--AaB03x"},
      {R"(form-data; name="f"; filename*=UTF-8''%e2%82%ac%20rates.txt)", "\xe2\x82\xac rates.txt"},
      {R"(form-data; name="f"; filename="fallback.txt"; filename*=utf-8'en'caf%C3%A9.txt)", "caf\xc3\xa9.txt"},
      {R"(form-data; name="f"; filename*=ISO-8859-1''caf%E9; filename="x")", "caf\xc3\xa9"},
  };
  for (const auto& c : cases) {
    std::string body = part("Content-Disposition: " + c.disposition + "\r\nX-Note: --AaB03x\r\n", "data") + close();
    Transcript t = run_all_ways(body, {}, kBoundary, 20);
    ASSERT_FALSE(t.error) << c.disposition << ": " << t.error->message;
    ASSERT_FALSE(t.events.empty());
    EXPECT_EQ(t.events[0], "begin name=f filename=\"" + c.filename + "\" type=") << c.disposition;
  }
}

TEST(MultipartReader, KeepsAllHeaders) {
  std::string body = part("Content-Disposition: form-data; name=f\r\nX-A:  one  \r\nx-b:two\r\n", "") + close();
  MultipartReader reader(kBoundary);
  reader.feed(body);
  auto ev = reader.next();
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->kind, Kind::part_begin);
  const auto& headers = reader.part().headers;
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[1].name, "X-A");
  EXPECT_EQ(headers[1].value, "one");
  EXPECT_EQ(headers[2].name, "x-b");
  EXPECT_EQ(headers[2].value, "two");
}

TEST(MultipartReader, DataPointsIntoCallerBuffer) {
  // A large part fed in 64 KiB pieces: every byte arrives as a span into the piece, one event per
  // piece, and nothing more is read until next() is called again (the consumer's backpressure).
  std::string content(1 << 20, 'x');
  for (std::size_t i = 0; i < content.size(); i += 4093) content[i] = '\r';
  std::string body = part("Content-Disposition: form-data; name=f; filename=big\r\n", content) + close();
  MultipartReader reader(kBoundary);
  constexpr std::size_t kPiece = 64 * 1024;
  std::size_t offset = 0;
  std::size_t data_events = 0;
  std::string got;
  for (;;) {
    auto ev = reader.next();
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    if (ev->kind == Kind::done) break;
    if (ev->kind == Kind::need_more) {
      ASSERT_LT(offset, body.size());
      std::size_t n = std::min(kPiece, body.size() - offset);
      reader.feed(std::string_view(body).substr(offset, n));
      offset += n;
      continue;
    }
    if (ev->kind == Kind::data) {
      ++data_events;
      EXPECT_GE(ev->data.data(), body.data());
      EXPECT_LE(ev->data.data() + ev->data.size(), body.data() + body.size());
      got.append(ev->data.begin(), ev->data.end());
      EXPECT_EQ(reader.part_bytes(), got.size());
    }
  }
  EXPECT_EQ(got, content);
  EXPECT_EQ(data_events, body.size() / kPiece + 1);
}

TEST(MultipartReader, InvalidBoundaryFailsInsteadOfOverflowing) {
  for (std::string boundary : {std::string(71, 'b'), std::string(), std::string("a\rb")}) {
    MultipartReader reader(boundary);
    const std::string body = "--" + boundary + "\r\n";
    reader.feed(body);
    auto ev = reader.next();
    ASSERT_FALSE(ev.ok());
    EXPECT_EQ(ev.error().code, Errc::invalid_argument);
    EXPECT_EQ(ev.error().message, "multipart: invalid boundary (use parse_boundary)");
  }
}

TEST(MultipartReader, FinishAfterLastFeed) {
  std::string body = field("a", "1") + close();
  MultipartReader reader(kBoundary);
  reader.feed(body);
  reader.finish();
  std::vector<Kind> kinds;
  for (;;) {
    auto ev = reader.next();
    ASSERT_TRUE(ev.ok());
    kinds.push_back(ev->kind);
    if (ev->kind == Kind::done) break;
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::part_begin, Kind::data, Kind::part_end, Kind::done}));
}

TEST(MultipartReader, Limits) {
  std::string three = field("a", "1") + field("b", "2") + field("c", "3") + close();
  EXPECT_FALSE(run_all_ways(three, MultipartLimits{.max_parts = 3}).error);
  expect_error(three, Errc::limit_exceeded, "more than 2 parts (limit max_parts)", {.max_parts = 2});

  // Header lines of exactly the limit pass; one byte more fails.
  std::string line = "Content-Disposition: form-data; name=\"" + std::string(60, 'n') + "\"\r\n";
  std::string body = part(line, "v") + close();
  EXPECT_FALSE(run_all_ways(body, {.max_header_block_bytes = line.size()}, kBoundary, 50).error);
  expect_error(body, Errc::limit_exceeded,
               "part 1 header block exceeds " + std::to_string(line.size() - 1) + " bytes (limit max_header_block_bytes)",
               {.max_header_block_bytes = line.size() - 1});
  // A header block that never ends stops at the limit rather than buffering the body.
  expect_error("--AaB03x\r\n" + std::string(100'000, 'h'), Errc::limit_exceeded, "max_header_block_bytes");

  std::string many = part("Content-Disposition: form-data; name=a\r\nA: 1\r\nB: 2\r\n", "v") + close();
  EXPECT_FALSE(run_all_ways(many, {.max_headers_per_part = 3}, kBoundary, 50).error);
  expect_error(many, Errc::limit_exceeded, "part 1: more than 2 headers (limit max_headers_per_part)",
               {.max_headers_per_part = 2});
}

TEST(MultipartReader, MalformedBodies) {
  const std::string cd = "Content-Disposition: form-data; name=a\r\n";
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {"", "multipart: body has no opening boundary delimiter"},
      {"no delimiter here\r\n--AaB03", "multipart: body has no opening boundary delimiter"},
      {"--AaB03", "multipart: body has no opening boundary delimiter"},
      {field("a", "1"), "multipart: body ended inside part 1 without a closing boundary"},
      {"--AaB03x\r\n" + cd + "\r\nvalue\r\n--AaB0", "body ended inside part 1 without a closing boundary"},
      {"--AaB03x\r\n" + cd, "body ended inside the headers of part 1"},
      {"--AaB03x", "body ended inside a boundary line"},
      {"--AaB03x  ", "body ended inside a boundary line"},
      {"--AaB03xyz\r\n", "boundary must be followed by \"--\" or CRLF"},
      {"--AaB03x-\r\n", "boundary must be followed by \"--\" or CRLF"},
      {"--AaB03x \tz", "boundary must be followed by \"--\" or CRLF"},
      {"--AaB03x\n" + cd + "\r\n", "boundary must be followed by \"--\" or CRLF"},
      {"--AaB03x\rX", "boundary line must end with CRLF"},
      {field("a", "1\r\n--AaB03xx"), "boundary must be followed by"},
      {part("Content-Disposition form-data; name=a\r\n", ""), "part 1: malformed header line"},
      {part(": x\r\n" + cd, ""), "part 1: malformed header line"},
      {part("Bad Name: x\r\n" + cd, ""), "part 1: malformed header line"},
      {part(cd + " folded\r\n", ""), "part 1: folded header lines are not allowed"},
      {part(cd + "X: a\nb\r\n", ""), "part 1: control character in header 'X'"},
      {part("Content-Type: text/plain\r\n", ""), "part 1: no Content-Disposition header"},
      {part("Content-Disposition: attachment; name=a\r\n", ""), "part 1: Content-Disposition is 'attachment'"},
      {part("Content-Disposition: form-data; filename=a\r\n", ""), "part 1: Content-Disposition has no name"},
      {part("Content-Disposition: form-data; name=\"a\r\n", ""), "part 1: unterminated quoted string"},
      {part("Content-Disposition: form-data; name=a; name=b\r\n", ""), "part 1: two 'name' parameters"},
      {part("Content-Disposition: form-data; name=a; filename=x; filename=y\r\n", ""), "two 'filename' parameters"},
      {part("Content-Disposition: form-data; name=a b\r\n", ""), "part 1: unexpected 'b' in Content-Disposition"},
      {part("Content-Disposition: form-data; name=\r\n", ""), "empty value for parameter 'name'"},
      {part(cd + cd, ""), "part 1: two Content-Disposition headers"},
      {part(cd + "Content-Type: a\r\ncontent-type: b\r\n", ""), "part 1: two Content-Type headers"},
      {part("Content-Disposition: form-data; name=a; filename*=UTF-8''%zz\r\n", ""), "bad percent-encoding"},
      {part("Content-Disposition: form-data; name=a; filename*=UTF-8'%41\r\n", ""), "charset'language'value"},
      {part("Content-Disposition: form-data; name=a; filename*=koi8-r''x\r\n", ""), "charset 'koi8-r'"},
      {field("a", "1") + part("Content-Disposition: form-data\r\n", ""), "part 2: Content-Disposition has no name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    expect_error(c.body, Errc::invalid_argument, c.message);
  }
}

TEST(MultipartReader, AnyInputParsesTheSameUnderAnySplit) {
  // Mutations of a valid body, valid or not, must give the same events or error however split.
  const std::string base = field("title", "x\r\n--AaB0") +
                           part("Content-Disposition: form-data; name=f; filename=\"a.bin\"\r\n"
                                "Content-Type: application/octet-stream\r\n",
                                "\r\n--AaB03\r\n-\r\rbinary") +
                           close();
  const std::string alphabet = "\r\n-AaB03x \t\";=:";
  std::mt19937_64 rng(42);
  int errors = 0;
  for (int round = 0; round < 300; ++round) {
    std::string body = base;
    for (int m = 1 + rng() % 3; m > 0; --m) {
      std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: body.erase(at, 1);
      }
    }
    SCOPED_TRACE(body);
    if (run_all_ways(body, {}, kBoundary, 10).error) ++errors;
  }
  EXPECT_GT(errors, 0);  // the mutations did reach error paths
  EXPECT_LT(errors, 300);
}

}  // namespace
}  // namespace sluice::http
