// S3 addressing: path-style and virtual-hosted Host headers and request paths.
#include "storage/store/s3/s3_endpoint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::s3 {
namespace {

TEST(S3Endpoint, VirtualHostedAddressing) {
  S3Endpoint ep{.scheme = "https", .host = "s3.amazonaws.com", .port = 443,
                .bucket = "examplebucket", .path_style = false, .region = "us-east-1"};
  auto t = s3_target(ep, "test$file.text");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->host_header, "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(t->path, "/test$file.text");
  EXPECT_EQ(t->encoded_path, "/test%24file.text");
  EXPECT_EQ(s3_url(ep, *t, "a=1"), "https://examplebucket.s3.amazonaws.com/test%24file.text?a=1");
  auto bucket = s3_target(ep, "");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->path, "/");
}

TEST(S3Endpoint, PathStyleAddressingWithPort) {
  S3Endpoint ep{.scheme = "http", .host = "127.0.0.1", .port = 9000, .bucket = "uploads",
                .path_style = true, .region = "us-east-1"};
  auto t = s3_target(ep, "dir/a b\xC3\xA9.bin");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host_header, "127.0.0.1:9000");
  EXPECT_EQ(t->path, "/uploads/dir/a b\xC3\xA9.bin");
  EXPECT_EQ(t->encoded_path, "/uploads/dir/a%20b%C3%A9.bin");
  EXPECT_EQ(s3_url(ep, *t, ""), "http://127.0.0.1:9000/uploads/dir/a%20b%C3%A9.bin");
  auto bucket = s3_target(ep, "");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->path, "/uploads");
  ep.port = 80;
  EXPECT_EQ(s3_target(ep, "k")->host_header, "127.0.0.1");
}

TEST(S3Endpoint, RejectsBadBucketsKeysAndSchemes) {
  S3Endpoint ep{.scheme = "https", .host = "s3.amazonaws.com", .bucket = "my.bucket"};
  EXPECT_FALSE(s3_target(ep, "k").ok());  // dots need path-style
  ep.path_style = true;
  EXPECT_TRUE(s3_target(ep, "k").ok());
  for (std::string b : std::vector<std::string>{"ab", "Upper", "-lead", "trail-", std::string(64, 'a'), "a_b"}) {
    ep.bucket = b;
    EXPECT_FALSE(validate_endpoint(ep).ok()) << b;
  }
  ep.bucket = "fine";
  EXPECT_FALSE(s3_target(ep, std::string(1025, 'k')).ok());
  EXPECT_TRUE(s3_target(ep, std::string(1024, 'k')).ok());
  ep.scheme = "ftp";
  EXPECT_EQ(validate_endpoint(ep).error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace sluice::s3
