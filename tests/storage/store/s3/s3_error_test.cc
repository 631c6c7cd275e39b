// S3 <Error> bodies: parsing, typed codes, Errc mapping and retry decisions; XmlScanner basics.
#include "storage/store/s3/s3_error.h"

#include <gtest/gtest.h>

#include "storage/store/s3/xml_scanner.h"

namespace sluice::s3 {
namespace {

constexpr std::string_view kNoSuchKey =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error>\n"
    "  <Code>NoSuchKey</Code>\n"
    "  <Message>The resource you requested does not exist</Message>\n"
    "  <Resource>/mybucket/myfoto.jpg</Resource>\n"
    "  <RequestId>4442587FB7D0A2F9</RequestId>\n"
    "</Error>";

std::string error_body(std::string_view code, std::string_view message) {
  return "<Error><Code>" + std::string(code) + "</Code><Message>" + std::string(message) +
         "</Message><RequestId>R1</RequestId></Error>";
}

TEST(S3Error, ParsesNoSuchKey) {
  auto e = parse_s3_error(kNoSuchKey, 404);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, S3ErrorCode::NoSuchKey);
  EXPECT_EQ(e->code_name, "NoSuchKey");
  EXPECT_EQ(e->message, "The resource you requested does not exist");
  EXPECT_EQ(e->request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(e->http_status, 404);
  EXPECT_FALSE(e->retryable());
  Error err = e->to_error();
  EXPECT_EQ(err.code, Errc::not_found);
  EXPECT_EQ(err.detail, "NoSuchKey");
  EXPECT_NE(err.message.find("NoSuchKey (HTTP 404): The resource you requested"), std::string::npos)
      << err.message;
  EXPECT_NE(err.message.find("4442587FB7D0A2F9"), std::string::npos);
}

TEST(S3Error, UnescapesMessage) {
  auto e = parse_s3_error(error_body("AccessDenied", "Don&apos;t &lt;touch&gt; &quot;x&quot; &amp; &#233;&#x4E2D;"), 403);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message, "Don't <touch> \"x\" & \xC3\xA9\xE4\xB8\xAD");
}

struct CodeCase {
  std::string_view name;
  int status;
  S3ErrorCode code;
  Errc errc;
  bool retryable;
};

TEST(S3Error, EveryKnownCodeMapsAsDocumented) {
  const CodeCase cases[] = {
      {"NoSuchKey", 404, S3ErrorCode::NoSuchKey, Errc::not_found, false},
      {"NoSuchBucket", 404, S3ErrorCode::NoSuchBucket, Errc::not_found, false},
      {"NoSuchUpload", 404, S3ErrorCode::NoSuchUpload, Errc::not_found, false},
      {"AccessDenied", 403, S3ErrorCode::AccessDenied, Errc::permission_denied, false},
      {"SignatureDoesNotMatch", 403, S3ErrorCode::SignatureDoesNotMatch, Errc::unauthenticated, false},
      {"SlowDown", 503, S3ErrorCode::SlowDown, Errc::unavailable, true},
      {"InternalError", 500, S3ErrorCode::InternalError, Errc::unavailable, true},
      {"InternalError", 200, S3ErrorCode::InternalError, Errc::unavailable, true},
      {"ServiceUnavailable", 503, S3ErrorCode::ServiceUnavailable, Errc::unavailable, true},
      {"EntityTooSmall", 400, S3ErrorCode::EntityTooSmall, Errc::invalid_argument, false},
      {"EntityTooLarge", 400, S3ErrorCode::EntityTooLarge, Errc::limit_exceeded, false},
      {"InvalidPart", 400, S3ErrorCode::InvalidPart, Errc::invalid_argument, false},
      {"InvalidPartOrder", 400, S3ErrorCode::InvalidPartOrder, Errc::invalid_argument, false},
      {"InvalidRange", 416, S3ErrorCode::InvalidRange, Errc::invalid_argument, false},
      {"PreconditionFailed", 412, S3ErrorCode::PreconditionFailed, Errc::conflict, false},
      {"RequestTimeout", 400, S3ErrorCode::RequestTimeout, Errc::timeout, true},
      {"BucketAlreadyExists", 409, S3ErrorCode::Other, Errc::conflict, false},
      {"WeirdThing", 500, S3ErrorCode::Other, Errc::unavailable, true},
      {"WeirdThing", 418, S3ErrorCode::Other, Errc::protocol_error, false},
  };
  for (const auto& c : cases) {
    auto e = parse_s3_error(error_body(c.name, "m"), c.status);
    ASSERT_TRUE(e.has_value()) << c.name;
    EXPECT_EQ(e->code, c.code) << c.name;
    EXPECT_EQ(e->retryable(), c.retryable) << c.name << " " << c.status;
    EXPECT_EQ(e->to_error().code, c.errc) << c.name << " " << c.status;
    EXPECT_EQ(e->to_error().detail, c.name);
    if (c.code != S3ErrorCode::Other) {
      EXPECT_EQ(s3_error_code_name(c.code), c.name);
    }
  }
}

TEST(S3Error, BodylessRepliesUseTheStatus) {
  S3Error head404 = s3_error_from_response(404, "");
  EXPECT_EQ(head404.code, S3ErrorCode::Other);
  EXPECT_EQ(head404.to_error().code, Errc::not_found);
  EXPECT_FALSE(head404.retryable());
  S3Error gateway = s3_error_from_response(503, "<html>busy</html>");
  EXPECT_TRUE(gateway.retryable());
  EXPECT_EQ(gateway.to_error().code, Errc::unavailable);
  EXPECT_NE(gateway.to_error().message.find("HTTP 503"), std::string::npos);
  EXPECT_FALSE(s3_error_from_response(400, "garbage").retryable());
}

TEST(S3Error, NonErrorDocumentsAreNotErrors) {
  EXPECT_FALSE(parse_s3_error("", 200).has_value());
  EXPECT_FALSE(parse_s3_error("<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>", 200)
                   .has_value());
  // An <Error> nested below another root is not S3's error document.
  EXPECT_FALSE(parse_s3_error("<Foo><Error><Code>X</Code></Error></Foo>", 200).has_value());
  std::string huge = error_body("SlowDown", std::string(kMaxS3ErrorBody, 'x'));
  EXPECT_FALSE(parse_s3_error(huge, 503).has_value());
  // Truncated body: the <Error> never closes.
  EXPECT_FALSE(parse_s3_error("<Error><Code>SlowDown</Code>", 503).has_value());
}

TEST(S3Error, BadEntityKeepsRawMessage) {
  auto e = parse_s3_error(error_body("InternalError", "a &bogus; b"), 500);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message, "a &bogus; b");
}

TEST(XmlScanner, FindsElementsInOrderAndRespectsNameBoundaries) {
  std::string_view doc =
      "<R xmlns=\"x\"><PartNumberMarker>0</PartNumberMarker><Part><PartNumber>1</PartNumber></Part>"
      "<Part ><PartNumber>2</PartNumber></Part ><Empty/><Empty2 a=\"b\"/></R>";
  XmlScanner s(doc);
  auto p1 = s.next("Part");
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(*p1, "<PartNumber>1</PartNumber>");
  auto p2 = s.next("Part");
  ASSERT_TRUE(p2.has_value());
  EXPECT_EQ(XmlScanner::first(*p2, "PartNumber").value_or("?"), "2");
  EXPECT_FALSE(s.next("Part").has_value());
  EXPECT_EQ(XmlScanner::first(doc, "Empty").value_or("?"), "");
  EXPECT_EQ(XmlScanner::first(doc, "Empty2").value_or("?"), "");
  EXPECT_EQ(XmlScanner::first(doc, "PartNumberMarker").value_or("?"), "0");
  EXPECT_FALSE(XmlScanner::first(doc, "Missing").has_value());
  EXPECT_EQ(XmlScanner::root_name(doc), "R");
  EXPECT_EQ(XmlScanner::root_name("\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- c --> \n<Error>"), "Error");
  EXPECT_EQ(XmlScanner::root_name("not xml"), "");
}

TEST(XmlUnescape, RejectsBadEntities) {
  for (std::string_view bad : {"&", "a & b", "&nope;", "&#;", "&#x;", "&#0;", "&#xD800;",
                               "&#x110000;", "&#12a;"}) {
    auto r = xml_unescape(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::protocol_error);
    }
  }
  EXPECT_EQ(xml_unescape("&#x1F600;").value(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(xml_unescape("plain").value(), "plain");
  std::string escaped;
  xml_escape_append(escaped, "<a href='x'>&\"</a>");
  EXPECT_EQ(escaped, "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(xml_unescape(escaped).value(), "<a href='x'>&\"</a>");
}

}  // namespace
}  // namespace sluice::s3
