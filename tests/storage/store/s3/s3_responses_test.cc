// The XML replies the S3 client reads and the CompleteMultipartUpload body it writes.
#include "storage/store/s3/s3_responses.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::s3 {
namespace {

TEST(InitiateMultipartUpload, ExtractsUploadId) {
  auto id = parse_initiate_multipart_upload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>example-bucket</Bucket><Key>example-object</Key>"
      "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
}

TEST(InitiateMultipartUpload, MissingOrEmptyUploadIdIsProtocolError) {
  auto missing = parse_initiate_multipart_upload("<InitiateMultipartUploadResult></InitiateMultipartUploadResult>");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::protocol_error);
  auto empty = parse_initiate_multipart_upload(
      "<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>");
  ASSERT_FALSE(empty.ok());
  auto wrong = parse_initiate_multipart_upload("<html>proxy error</html>");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("<html>"), std::string::npos) << wrong.error().message;
}

TEST(CompleteMultipartUpload, ExtractsETag) {
  auto r = parse_complete_multipart_upload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>"
      "<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
      "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
      "</CompleteMultipartUploadResult>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
  EXPECT_EQ(r->location, "http://Example-Bucket.s3.amazonaws.com/Example-Object");
  EXPECT_EQ(r->bucket, "Example-Bucket");
  EXPECT_EQ(r->key, "Example-Object");
}

TEST(CompleteMultipartUpload, ErrorInsideA200IsAnError) {
  // S3 answers 200, sends whitespace while it works, then may send an <Error>.
  auto r = parse_complete_multipart_upload(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n      \n"
      "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try "
      "again.</Message><RequestId>656c76696e6727732072657175657374</RequestId></Error>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable);  // retryable
  EXPECT_EQ(r.error().detail, "InternalError");
  auto bad_part = parse_complete_multipart_upload(
      "<Error><Code>InvalidPart</Code><Message>One or more parts could not be found</Message></Error>");
  ASSERT_FALSE(bad_part.ok());
  EXPECT_EQ(bad_part.error().code, Errc::invalid_argument);
  EXPECT_EQ(bad_part.error().detail, "InvalidPart");
}

TEST(ListParts, ExtractsPartsAndPaging) {
  auto r = parse_list_parts(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>XXBsb2F</UploadId>"
      "<Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID><DisplayName>u</DisplayName></Initiator>"
      "<StorageClass>STANDARD</StorageClass><PartNumberMarker>1</PartNumberMarker>"
      "<NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts>"
      "<IsTruncated>true</IsTruncated>"
      "<Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>"
      "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>"
      "<Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>"
      "<ETag>\"aaaa18db4cc2f85cedef654fccc4a4x8\"</ETag><Size>10485761</Size></Part>"
      "</ListPartsResult>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->parts.size(), 2u);
  EXPECT_EQ(r->parts[0].part_number, 2u);
  EXPECT_EQ(r->parts[0].etag, "\"7778aef83f66abc1fa1e8477f296d394\"");
  EXPECT_EQ(r->parts[0].size, 10485760u);
  EXPECT_EQ(r->parts[1].part_number, 3u);
  EXPECT_EQ(r->parts[1].etag, "\"aaaa18db4cc2f85cedef654fccc4a4x8\"");
  EXPECT_EQ(r->parts[1].size, 10485761u);
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_part_number_marker, 3u);
}

TEST(ListParts, EmptyAndMalformed) {
  auto empty = parse_list_parts("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->parts.empty());
  EXPECT_FALSE(empty->is_truncated);
  auto bad_size = parse_list_parts(
      "<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>12x</Size></Part></ListPartsResult>");
  ASSERT_FALSE(bad_size.ok());
  EXPECT_EQ(bad_size.error().code, Errc::protocol_error);
  auto no_etag = parse_list_parts(
      "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>1</Size></Part></ListPartsResult>");
  ASSERT_FALSE(no_etag.ok());
  auto bad_flag = parse_list_parts("<ListPartsResult><IsTruncated>yes</IsTruncated></ListPartsResult>");
  ASSERT_FALSE(bad_flag.ok());
  auto no_such_upload = parse_list_parts("<Error><Code>NoSuchUpload</Code></Error>");
  ASSERT_FALSE(no_such_upload.ok());
  EXPECT_EQ(no_such_upload.error().code, Errc::not_found);
}

TEST(ListParts, RefusesMoreThanTenThousandEntries) {
  std::string body = "<ListPartsResult>";
  for (int i = 1; i <= 10001; ++i) {
    body += "<Part><PartNumber>" + std::to_string(i) + "</PartNumber><ETag>e</ETag><Size>1</Size></Part>";
  }
  body += "</ListPartsResult>";
  auto r = parse_list_parts(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::protocol_error);
}

TEST(ListMultipartUploads, ExtractsKeysAndUploadIds) {
  auto r = parse_list_multipart_uploads(
      "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
      "<NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>YW55IGlkZWEgd2h5</NextUploadIdMarker>"
      "<MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>"
      "<Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>"
      "<Initiator><ID>arn</ID></Initiator><StorageClass>STANDARD</StorageClass></Upload>"
      "<Upload><Key>a &amp; b.txt</Key><UploadId>VXBsb2FkIElE</UploadId></Upload>"
      "<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->uploads.size(), 2u);
  EXPECT_EQ(r->uploads[0].key, "my-divisor");
  EXPECT_EQ(r->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(r->uploads[1].key, "a & b.txt");
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(r->next_upload_id_marker, "YW55IGlkZWEgd2h5");
}

TEST(ListObjectsV2, ExtractsKeysAndContinuation) {
  auto r = parse_list_objects_v2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>bucket</Name><Prefix>uploads/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>uploads/a.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
      "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>uploads/&lt;b&gt;.txt</Key><Size>0</Size></Contents>"
      "<CommonPrefixes><Prefix>uploads/dir/</Prefix></CommonPrefixes>"
      "</ListBucketResult>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "uploads/a.txt");
  EXPECT_EQ(r->objects[0].size, 434234u);
  EXPECT_EQ(r->objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(r->objects[1].key, "uploads/<b>.txt");
  EXPECT_EQ(r->objects[1].size, 0u);
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  auto no_token = parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code, Errc::protocol_error);
}

TEST(ResponseBodies, OversizedBodiesAreRefused) {
  std::string body = "<ListBucketResult>" + std::string(kMaxS3XmlBody, ' ') + "</ListBucketResult>";
  auto r = parse_list_objects_v2(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::protocol_error);
}

TEST(CompleteMultipartBody, BuildsEscapedOrderedParts) {
  std::vector<CompletedPart> parts = {{1, "\"a54357aff0632cce46d942af68356b38\""},
                                      {2, "\"0c78aef83f66abc1fa1e8477f296d394\""}};
  auto body = build_complete_multipart_body(parts);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(CompleteMultipartBody, RejectsBadPartLists) {
  std::vector<std::vector<CompletedPart>> bad = {
      {},
      {{0, "e"}},
      {{10001, "e"}},
      {{2, "e"}, {1, "e"}},
      {{1, "e"}, {1, "e"}},
      {{1, ""}},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    auto body = build_complete_multipart_body(bad[i]);
    ASSERT_FALSE(body.ok()) << "case " << i;
    EXPECT_EQ(body.error().code, Errc::invalid_argument);
  }
  std::vector<CompletedPart> gaps = {{1, "e"}, {5, "f"}, {10000, "g"}};  // gaps are allowed
  EXPECT_TRUE(build_complete_multipart_body(gaps).ok());
}

}  // namespace
}  // namespace sluice::s3
