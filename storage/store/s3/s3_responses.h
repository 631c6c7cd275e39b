// The few XML replies the S3 client reads (multipart upload lifecycle, listings) and the one
// XML body it sends (CompleteMultipartUpload), over XmlScanner.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::s3 {

// Larger replies are refused rather than scanned (a 1,000-key listing is ~1.3 MB).
inline constexpr size_t kMaxS3XmlBody = 16 * 1024 * 1024;
inline constexpr uint32_t kMaxPartNumber = 10000;

// Each parser checks the root element. A body whose root is <Error> (S3 may answer 200 with
// one, notably to CompleteMultipartUpload) yields that error via S3Error::to_error(), with
// retryable codes as Errc::unavailable / Errc::timeout. Other surprises: Errc::protocol_error.

// InitiateMultipartUploadResult -> UploadId.
[[nodiscard]] Result<std::string> parse_initiate_multipart_upload(std::string_view body);

struct CompleteMultipartResult {
  std::string etag;  // as S3 sends it, quotes included: "\"3858f6...-2\""
  std::string location;
  std::string bucket;
  std::string key;
};
[[nodiscard]] Result<CompleteMultipartResult> parse_complete_multipart_upload(std::string_view body);

struct PartInfo {
  uint32_t part_number = 0;
  std::string etag;
  uint64_t size = 0;
};
struct ListPartsResult {
  std::vector<PartInfo> parts;
  bool is_truncated = false;
  uint32_t next_part_number_marker = 0;  // pass as part-number-marker for the next page
};
[[nodiscard]] Result<ListPartsResult> parse_list_parts(std::string_view body);

struct MultipartUploadInfo {
  std::string key;
  std::string upload_id;
};
struct ListMultipartUploadsResult {
  std::vector<MultipartUploadInfo> uploads;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
[[nodiscard]] Result<ListMultipartUploadsResult> parse_list_multipart_uploads(std::string_view body);

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};
// ListObjectsV2's ListBucketResult.
struct ListObjectsResult {
  std::vector<ObjectInfo> objects;
  bool is_truncated = false;
  std::string next_continuation_token;
};
[[nodiscard]] Result<ListObjectsResult> parse_list_objects_v2(std::string_view body);

struct CompletedPart {
  uint32_t part_number = 0;
  std::string etag;  // as returned by UploadPart, quotes included
};
// <CompleteMultipartUpload> with the parts in order. Fails unless part numbers are within
// 1..10000 and strictly ascending, every ETag is non-empty, and there is at least one part.
[[nodiscard]] Result<std::string> build_complete_multipart_body(std::span<const CompletedPart> parts);

}  // namespace sluice::s3
