#include "tools/load/multipart_form.h"

#include <gtest/gtest.h>

#include <string>

#include "http/multipart_reader.h"
#include "tools/load/body_pattern.h"
#include "tools/load/request_body.h"

namespace sluice::load {
namespace {

// Everything a BodyCursor produces, batch by batch, as the client would send it.
std::string drain(const std::string& head, const RequestBody& body, size_t batch, size_t* batches = nullptr) {
  BodyCursor cursor(head, body);
  std::string out;
  std::vector<iovec> iov;
  size_t n = 0;
  while (!cursor.done()) {
    cursor.next_batch(batch, iov);
    size_t bytes = 0;
    for (const iovec& v : iov) {
      out.append(static_cast<const char*>(v.iov_base), v.iov_len);
      bytes += v.iov_len;
    }
    EXPECT_GT(bytes, 0u);
    EXPECT_LE(bytes, batch);
    cursor.advance(bytes);
    ++n;
  }
  if (batches) *batches = n;
  return out;
}

std::string pattern_bytes(uint64_t offset, uint64_t n) {
  std::string s;
  for (uint64_t i = 0; i < n; ++i) s += BodyPattern::instance().at(offset + i);
  return s;
}

MultipartForm sample_form() {
  MultipartForm f;
  f.boundary = make_boundary(7);
  f.path_field = "/load/dir";
  f.filename = "f-1.bin";
  return f;
}

TEST(MultipartForm, LengthComputedUpFrontEqualsBytesProduced) {
  MultipartForm f = sample_form();
  for (uint64_t size : {0ull, 1ull, 1000ull, 65535ull, 65536ull, 65537ull, 300000ull}) {
    RequestBody body = f.body(size);
    for (size_t batch : {size_t{4096}, size_t{65536}, size_t{256 * 1024}}) {
      std::string bytes = drain("", body, batch);
      EXPECT_EQ(bytes.size(), body.size()) << "size " << size << " batch " << batch;
    }
  }
}

TEST(MultipartForm, BodyParsesBackToThePathFieldAndTheFile) {
  MultipartForm f = sample_form();
  const uint64_t size = 200000;  // spans several pattern repetitions
  std::string bytes = drain("", f.body(size), 65536);

  auto boundary = http::parse_boundary(f.content_type_header());
  ASSERT_TRUE(boundary.ok()) << boundary.error().message;
  EXPECT_EQ(*boundary, f.boundary);
  http::MultipartReader reader(*boundary);
  reader.feed(std::string_view(bytes));
  reader.finish();
  std::string path_value, file_data, filename, content_type;
  std::string current;
  bool done = false;
  while (!done) {
    auto ev = reader.next();
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    switch (ev->kind) {
      case http::MultipartEvent::Kind::part_begin:
        current = reader.part().name;
        if (reader.part().filename) filename = *reader.part().filename;
        if (current == "file") content_type = reader.part().content_type;
        break;
      case http::MultipartEvent::Kind::data:
        (current == "path" ? path_value : file_data).append(ev->data.data(), ev->data.size());
        break;
      case http::MultipartEvent::Kind::done:
        done = true;
        break;
      case http::MultipartEvent::Kind::need_more:
        FAIL() << "reader wants more input after finish()";
      case http::MultipartEvent::Kind::part_end:
        break;
    }
  }
  EXPECT_EQ(reader.part_count(), 2u);
  EXPECT_EQ(path_value, "/load/dir");
  EXPECT_EQ(filename, "f-1.bin");
  EXPECT_EQ(content_type, "application/octet-stream");
  ASSERT_EQ(file_data.size(), size);
  EXPECT_TRUE(BodyPattern::instance().matches(0, std::span<const char>(file_data.data(), file_data.size())));
}

TEST(MultipartForm, WithoutPathFieldHasOnlyTheFilePart) {
  MultipartForm f = sample_form();
  f.path_field.clear();
  RequestBody body = f.body(10);
  EXPECT_EQ(body.prefix.find("name=\"path\""), std::string::npos);
  EXPECT_EQ(drain("", body, 4096).size(), body.size());
}

TEST(MultipartForm, BoundaryIsValidAndVariesWithSeed) {
  std::string a = make_boundary(1), b = make_boundary(2);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, make_boundary(1));
  EXPECT_LE(a.size(), 70u);
  EXPECT_TRUE(http::parse_boundary("multipart/form-data; boundary=" + a).ok());
}

TEST(BodyCursor, HeadThenPatternFromAnOffsetThenSuffix) {
  RequestBody body;
  body.prefix = "<pre>";
  body.pattern_offset = 65536 * 3 - 10;  // a multipart part starting just before a wrap
  body.pattern_bytes = 70000;
  body.suffix = "<post>";
  std::string head = "PUT /x HTTP/1.1\r\n\r\n";
  size_t batches = 0;
  std::string bytes = drain(head, body, 16384, &batches);
  EXPECT_EQ(bytes, head + "<pre>" + pattern_bytes(body.pattern_offset, body.pattern_bytes) + "<post>");
  EXPECT_EQ(batches, (bytes.size() + 16383) / 16384);  // every batch but the last is full
}

TEST(BodyCursor, SmallRequestGoesOutInOneBatch) {
  RequestBody body;
  body.pattern_bytes = 1024;
  std::string head(200, 'h');
  size_t batches = 0;
  std::string bytes = drain(head, body, 256 * 1024, &batches);
  EXPECT_EQ(batches, 1u);
  EXPECT_EQ(bytes.size(), 1224u);
}

TEST(BodyPattern, VerifierAcceptsExactCopyOnly) {
  std::string file = pattern_bytes(0, 100000);
  PatternVerifier ok(100000);
  ok.feed(std::span<const char>(file.data(), 40000));
  ok.feed(std::span<const char>(file.data() + 40000, 60000));
  EXPECT_TRUE(ok.ok());

  PatternVerifier short_read(100001);
  short_read.feed(std::span<const char>(file.data(), file.size()));
  EXPECT_FALSE(short_read.ok());
  EXPECT_TRUE(short_read.content_matches());

  file[77777] ^= 1;
  PatternVerifier flipped(100000);
  flipped.feed(std::span<const char>(file.data(), file.size()));
  EXPECT_FALSE(flipped.ok());

  EXPECT_NE(BodyPattern::instance().checksum(1000), BodyPattern::instance().checksum(1001));
}

}  // namespace
}  // namespace sluice::load
