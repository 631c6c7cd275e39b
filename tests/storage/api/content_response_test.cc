// The rules every content route shares, without a server: which types may be shown inline, the
// Content-Disposition text, and how If-None-Match / If-Range are matched.
#include "storage/api/content_response.h"

#include <gtest/gtest.h>

#include "storage/service/files/content_disposition.h"

namespace sluice {
namespace {

TEST(ContentDisposition, InlineOnlyForTheSafeList) {
  for (const char* safe : {"image/png", "IMAGE/JPEG", "image/webp", "application/pdf", "text/plain",
                           "text/plain; charset=utf-8", " video/mp4 ", "audio/mpeg"})
    EXPECT_TRUE(inline_safe_type(safe)) << safe;
  for (const char* unsafe : {"image/svg+xml", "Image/SVG+XML; charset=utf-8", "image/", "image", "text/html",
                             "text/xml", "application/javascript", "application/xhtml+xml", "", "text/plain2",
                             "application/pdfx", "application/octet-stream", "multipart/form-data"})
    EXPECT_FALSE(inline_safe_type(unsafe)) << unsafe;
  EXPECT_EQ(effective_disposition("image/png", Disposition::inline_view), Disposition::inline_view);
  EXPECT_EQ(effective_disposition("image/png", Disposition::attachment), Disposition::attachment);
  EXPECT_EQ(effective_disposition("text/html", Disposition::inline_view), Disposition::attachment);
  EXPECT_EQ(parse_disposition("inline"), Disposition::inline_view);
  EXPECT_EQ(parse_disposition("attachment"), Disposition::attachment);
  EXPECT_FALSE(parse_disposition("Inline").has_value());
  EXPECT_FALSE(parse_disposition("").has_value());
}

TEST(ContentDisposition, NameIsQuotedSafelyAndInUtf8) {
  EXPECT_EQ(content_disposition(Disposition::inline_view, "a.png"),
            "inline; filename=\"a.png\"; filename*=UTF-8''a.png");
  EXPECT_EQ(content_disposition(Disposition::attachment, "r\xC3\xA9sum\xC3\xA9 \"1\".pdf"),
            "attachment; filename=\"r__sum__ _1_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf");
  // No header injection: CR/LF never reach the header.
  std::string v = content_disposition(Disposition::attachment, "a\r\nSet-Cookie: x=1");
  EXPECT_EQ(v.find('\r'), std::string::npos);
  EXPECT_EQ(v.find('\n'), std::string::npos);
}

TEST(ConditionalHeaders, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(if_none_match_hits("\"abc\"", "abc"));
  EXPECT_TRUE(if_none_match_hits("W/\"abc\"", "abc"));
  EXPECT_TRUE(if_none_match_hits("\"x\", \"abc\"", "abc"));
  EXPECT_TRUE(if_none_match_hits(" * ", "abc"));
  EXPECT_TRUE(if_none_match_hits("*", ""));
  EXPECT_FALSE(if_none_match_hits("\"abcd\"", "abc"));
  EXPECT_FALSE(if_none_match_hits("abc", "abc"));  // an entity tag is quoted
  EXPECT_FALSE(if_none_match_hits("", "abc"));
  EXPECT_FALSE(if_none_match_hits("\"\"", ""));
}

TEST(ConditionalHeaders, IfRangeNeedsTheSameStrongTag) {
  EXPECT_TRUE(if_range_matches("\"abc\"", "abc"));
  EXPECT_TRUE(if_range_matches(" \"abc\" ", "abc"));
  EXPECT_FALSE(if_range_matches("W/\"abc\"", "abc"));
  EXPECT_FALSE(if_range_matches("\"abd\"", "abc"));
  EXPECT_FALSE(if_range_matches("Wed, 21 Oct 2015 07:28:00 GMT", "abc"));
  EXPECT_FALSE(if_range_matches("\"\"", ""));
}

// Share links count a download exactly when the content goes out from its first byte.
TEST(ServesFromFirstByte, WholeOrRangeAtZeroButNotHeadOr304OrLaterRanges) {
  ContentTarget t;
  t.size = 100;
  t.etag = "abc";
  auto req = [](std::string method, std::vector<std::pair<std::string, std::string>> headers) {
    Request r;
    r.method = std::move(method);
    r.headers = std::move(headers);
    return r;
  };
  EXPECT_TRUE(serves_from_first_byte(req("GET", {}), t));
  EXPECT_TRUE(serves_from_first_byte(req("GET", {{"Range", "bytes=0-9"}}), t));
  EXPECT_TRUE(serves_from_first_byte(req("GET", {{"Range", "bytes=0-"}}), t));
  EXPECT_TRUE(serves_from_first_byte(req("GET", {{"Range", "bytes=-100"}}), t));  // the last 100 of 100
  EXPECT_TRUE(serves_from_first_byte(req("GET", {{"Range", "bytes=10-"}, {"If-Range", "\"old\""}}), t));  // whole
  EXPECT_FALSE(serves_from_first_byte(req("GET", {{"Range", "bytes=10-19"}}), t));
  EXPECT_FALSE(serves_from_first_byte(req("GET", {{"Range", "bytes=-10"}}), t));
  EXPECT_FALSE(serves_from_first_byte(req("GET", {{"Range", "bytes=500-"}}), t));       // 416
  EXPECT_FALSE(serves_from_first_byte(req("GET", {{"If-None-Match", "\"abc\""}}), t));  // 304
  EXPECT_FALSE(serves_from_first_byte(req("HEAD", {}), t));
}

}  // namespace
}  // namespace sluice
