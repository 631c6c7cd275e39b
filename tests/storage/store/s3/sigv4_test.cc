// SigV4 against the worked examples in AWS's S3 documentation ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and "Authenticating Requests:
// Using Query Parameters"), plus S3 URI encoding and endpoint addressing.
#include "storage/store/s3/sigv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "storage/store/s3/s3_endpoint.h"

namespace sluice::s3 {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const sys_seconds kExampleTime = sys_days{2013y / May / 24};
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

SigV4Signer example_signer() {
  return SigV4Signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
                     "us-east-1");
}

std::string signature_of(const std::string& authorization) {
  auto at = authorization.find("Signature=");
  return at == std::string::npos ? std::string() : authorization.substr(at + 10);
}

TEST(S3UriEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(s3_uri_encode("AZaz09-._~", true), "AZaz09-._~");
  EXPECT_EQ(s3_uri_encode("a b", true), "a%20b");
  EXPECT_EQ(s3_uri_encode("a+b", true), "a%2Bb");
  EXPECT_EQ(s3_uri_encode("~user", true), "~user");
  EXPECT_EQ(s3_uri_encode("caf\xC3\xA9", true), "caf%C3%A9");  // "café": each UTF-8 byte
  EXPECT_EQ(s3_uri_encode("$&=?#*", true), "%24%26%3D%3F%23%2A");
  EXPECT_EQ(s3_uri_encode(std::string_view("\0\xff", 2), true), "%00%FF");
}

TEST(S3UriEncode, SlashIsKeptOnlyInPaths) {
  EXPECT_EQ(s3_uri_encode("/dir/a b+c.txt", false), "/dir/a%20b%2Bc.txt");
  EXPECT_EQ(s3_uri_encode("/dir/a", true), "%2Fdir%2Fa");
}

TEST(AmzDate, FormatsUtc) {
  EXPECT_EQ(format_amz_date(kExampleTime), "20130524T000000Z");
  EXPECT_EQ(format_amz_date(sys_days{2024y / December / 31} + 23h + 59min + 58s), "20241231T235958Z");
}

TEST(Sha256Hex, KnownValues) {
  EXPECT_EQ(sha256_hex(""), kEmptyPayloadSha256);
  EXPECT_EQ(sha256_hex("Welcome to Amazon S3."),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

TEST(CanonicalQuery, SortsByEncodedNameAndEncodesValues) {
  std::vector<SigV4Param> q = {{"prefix", "J"}, {"max-keys", "2"}, {"a b", "x/y+z"}, {"lifecycle", ""}};
  EXPECT_EQ(canonical_query_string(q), "a%20b=x%2Fy%2Bz&lifecycle=&max-keys=2&prefix=J");
  EXPECT_EQ(canonical_query_string({}), "");
}

TEST(SigV4Example, GetObjectWithRange) {
  auto signer = example_signer();
  std::vector<SigV4Param> headers = {{"Range", "bytes=0-9"}};
  SigV4Request req{.method = "GET", .host = kHost, .path = "/test.txt", .query = {},
                   .headers = headers, .payload_hash = kEmptyPayloadSha256,
                   .timestamp = kExampleTime};

  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok()) << canonical.error().message;
  EXPECT_EQ(*canonical,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signer.string_to_sign("20130524T000000Z", *canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");

  auto signed_headers = signer.sign_headers(req);
  ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().message;
  EXPECT_EQ(signed_headers->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signed_headers->amz_date, "20130524T000000Z");
  EXPECT_EQ(signed_headers->content_sha256, kEmptyPayloadSha256);
  EXPECT_EQ(signed_headers->security_token, "");
}

TEST(SigV4Example, PutObject) {
  auto signer = example_signer();
  std::string payload_hash = sha256_hex("Welcome to Amazon S3.");
  // Unsigned headers (content-length, user-agent) are passed too and must be ignored.
  std::vector<SigV4Param> headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                     {"Content-Length", "21"},
                                     {"User-Agent", "sluice"}};
  SigV4Request req{.method = "PUT", .host = kHost, .path = "/test$file.text", .query = {},
                   .headers = headers, .payload_hash = payload_hash, .timestamp = kExampleTime};

  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\n"
            "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

  auto signed_headers = signer.sign_headers(req);
  ASSERT_TRUE(signed_headers.ok());
  EXPECT_EQ(signed_headers->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_EQ(signed_headers->content_sha256, payload_hash);
}

TEST(SigV4Example, GetBucketLifecycle) {
  auto signer = example_signer();
  std::vector<SigV4Param> query = {{"lifecycle", ""}};
  SigV4Request req{.method = "GET", .host = kHost, .path = "/", .query = query, .headers = {},
                   .payload_hash = kEmptyPayloadSha256, .timestamp = kExampleTime};
  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_TRUE(canonical->starts_with("GET\n/\nlifecycle=\nhost:")) << *canonical;
  auto signed_headers = signer.sign_headers(req);
  ASSERT_TRUE(signed_headers.ok());
  EXPECT_EQ(signed_headers->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Example, ListObjects) {
  auto signer = example_signer();
  std::vector<SigV4Param> query = {{"prefix", "J"}, {"max-keys", "2"}};  // unsorted on purpose
  SigV4Request req{.method = "GET", .host = kHost, .path = "/", .query = query, .headers = {},
                   .payload_hash = kEmptyPayloadSha256, .timestamp = kExampleTime};
  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_TRUE(canonical->starts_with("GET\n/\nmax-keys=2&prefix=J\nhost:")) << *canonical;
  auto signed_headers = signer.sign_headers(req);
  ASSERT_TRUE(signed_headers.ok());
  EXPECT_EQ(signature_of(signed_headers->authorization),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// Issue 11 item 4: a presigned PUT can bind its Content-Length (a signed header), so one part
// URL cannot store more than its part.
TEST(SigV4Presign, ContentLengthIsASignedHeader) {
  auto signer = example_signer();
  auto plain = signer.presign("PUT", kHost, "/part", {}, 600, kExampleTime);
  auto bound = signer.presign("PUT", kHost, "/part", {}, 600, kExampleTime, uint64_t{5242880});
  auto other = signer.presign("PUT", kHost, "/part", {}, 600, kExampleTime, uint64_t{5242881});
  ASSERT_TRUE(plain.ok() && bound.ok() && other.ok());
  EXPECT_NE(plain->find("X-Amz-SignedHeaders=host&"), std::string::npos) << *plain;
  EXPECT_NE(bound->find("X-Amz-SignedHeaders=content-length%3Bhost&"), std::string::npos) << *bound;
  auto sig = [](const std::string& qs) { return qs.substr(qs.find("X-Amz-Signature=")); };
  EXPECT_NE(sig(*bound), sig(*other));
  EXPECT_NE(sig(*bound), sig(*plain));
}

TEST(SigV4Example, PresignedGet) {
  auto signer = example_signer();
  auto qs = signer.presign("GET", kHost, "/test.txt", {}, 86400, kExampleTime);
  ASSERT_TRUE(qs.ok()) << qs.error().message;
  EXPECT_EQ(*qs,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Presign, ExpiryIsValidated) {
  auto signer = example_signer();
  for (int64_t bad : {int64_t{0}, int64_t{-5}, int64_t{604801}}) {
    auto qs = signer.presign("GET", kHost, "/test.txt", {}, bad, kExampleTime);
    ASSERT_FALSE(qs.ok()) << bad;
    EXPECT_EQ(qs.error().code, Errc::invalid_argument);
    EXPECT_NE(qs.error().message.find("604800"), std::string::npos) << qs.error().message;
  }
  EXPECT_TRUE(signer.presign("GET", kHost, "/test.txt", {}, 1, kExampleTime).ok());
  EXPECT_TRUE(signer.presign("GET", kHost, "/test.txt", {}, 604800, kExampleTime).ok());
}

TEST(SigV4Presign, CallerQueryIsSignedAndReservedNamesRejected) {
  auto signer = example_signer();
  std::vector<SigV4Param> query = {{"uploadId", "abc"}, {"partNumber", "3"}};
  auto qs = signer.presign("PUT", kHost, "/big file.bin", query, 3600, kExampleTime);
  ASSERT_TRUE(qs.ok());
  EXPECT_TRUE(qs->starts_with("X-Amz-Algorithm=")) << *qs;  // upper-case sorts first
  EXPECT_NE(qs->find("&partNumber=3&uploadId=abc&X-Amz-Signature="), std::string::npos) << *qs;

  std::vector<SigV4Param> reserved = {{"x-amz-signature", "forged"}};
  auto bad = signer.presign("GET", kHost, "/a", reserved, 60, kExampleTime);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

TEST(SigV4Signer, SessionTokenIsSignedAndReturned) {
  SigV4Signer signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "tok/en+"},
                     "us-east-1");
  SigV4Request req{.method = "GET", .host = kHost, .path = "/test.txt", .timestamp = kExampleTime};
  auto h = signer.sign_headers(req);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->security_token, "tok/en+");
  EXPECT_NE(h->authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos) << h->authorization;
  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_NE(canonical->find("\nx-amz-security-token:tok/en+\n"), std::string::npos);

  auto qs = signer.presign("GET", kHost, "/test.txt", {}, 60, kExampleTime);
  ASSERT_TRUE(qs.ok());
  EXPECT_NE(qs->find("&X-Amz-Security-Token=tok%2Fen%2B&X-Amz-SignedHeaders=host&X-Amz-Signature="),
            std::string::npos) << *qs;
}

TEST(SigV4Signer, HeaderValuesAreTrimmedAndRepeatsJoined) {
  auto signer = example_signer();
  std::vector<SigV4Param> headers = {{"X-Amz-Meta-A", "  one   two  "}, {"x-amz-meta-a", "three"},
                                     {"Content-Type", "text/plain"}};
  SigV4Request req{.method = "PUT", .host = kHost, .path = "/k", .headers = headers,
                   .payload_hash = kUnsignedPayload, .timestamp = kExampleTime};
  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_NE(canonical->find("\nx-amz-meta-a:one two,three\n"), std::string::npos) << *canonical;
  EXPECT_NE(canonical->find("\ncontent-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a\n"
                            "UNSIGNED-PAYLOAD"),
            std::string::npos) << *canonical;
}

TEST(SigV4Signer, RejectsMalformedRequests) {
  auto signer = example_signer();
  std::vector<SigV4Param> own = {{"Host", "evil"}};
  std::vector<SigV4Param> crlf = {{"x-amz-meta-a", "a\r\nInjected: 1"}};
  std::vector<SigV4Param> bad_name = {{"bad name", "v"}};
  std::vector<SigV4Request> bad = {
      {.method = "get", .host = kHost, .path = "/a"},
      {.method = "GET", .host = "", .path = "/a"},
      {.method = "GET", .host = kHost, .path = "a"},
      {.method = "GET", .host = kHost, .path = "/a", .payload_hash = "abc"},
      {.method = "GET", .host = kHost, .path = "/a", .headers = own},
      {.method = "GET", .host = kHost, .path = "/a", .headers = crlf},
      {.method = "GET", .host = kHost, .path = "/a", .headers = bad_name},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto h = signer.sign_headers(bad[i]);
    ASSERT_FALSE(h.ok()) << "case " << i;
    EXPECT_EQ(h.error().code, Errc::invalid_argument) << "case " << i;
  }
}

TEST(SigV4Signer, SigningKeyIsDerivedOncePerDay) {
  auto signer = example_signer();
  SigV4Request req{.method = "GET", .host = kHost, .path = "/test.txt", .timestamp = kExampleTime};
  ASSERT_TRUE(signer.sign_headers(req).ok());
  req.timestamp = kExampleTime + 23h;
  ASSERT_TRUE(signer.sign_headers(req).ok());
  ASSERT_TRUE(signer.presign("GET", kHost, "/x", {}, 60, kExampleTime + 1h).ok());
  EXPECT_EQ(signer.key_derivations(), 1u);
  req.timestamp = kExampleTime + 24h;
  ASSERT_TRUE(signer.sign_headers(req).ok());
  EXPECT_EQ(signer.key_derivations(), 2u);
  // Back to the first day: the cache holds one day, and the result must still be right.
  req.timestamp = kExampleTime;
  std::vector<SigV4Param> headers = {{"Range", "bytes=0-9"}};
  req.headers = headers;
  auto h = signer.sign_headers(req);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(signature_of(h->authorization),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signer.key_derivations(), 3u);
}

TEST(S3Endpoint, TargetSignsConsistentlyWithEncodedPath) {
  // The raw path from s3_target is what the signer encodes; it must equal encoded_path.
  S3Endpoint ep{.scheme = "http", .host = "localhost", .port = 9000, .bucket = "b-1",
                .path_style = true};
  auto t = s3_target(ep, "x y/z+w");
  ASSERT_TRUE(t.ok());
  auto signer = example_signer();
  SigV4Request req{.method = "GET", .host = t->host_header, .path = t->path,
                   .timestamp = kExampleTime};
  auto canonical = signer.canonical_request(req);
  ASSERT_TRUE(canonical.ok());
  EXPECT_TRUE(canonical->starts_with("GET\n" + t->encoded_path + "\n\nhost:localhost:9000\n"))
      << *canonical;
}

}  // namespace
}  // namespace sluice::s3
