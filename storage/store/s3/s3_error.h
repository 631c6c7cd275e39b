// S3's error responses (<Error><Code>..</Code><Message>..</Message></Error>) as typed values,
// their mapping to sluice::Error, and whether a request is worth retrying.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::s3 {

enum class S3ErrorCode {
  NoSuchKey,
  NoSuchBucket,
  NoSuchUpload,
  AccessDenied,
  SignatureDoesNotMatch,
  SlowDown,
  InternalError,
  ServiceUnavailable,
  EntityTooSmall,
  EntityTooLarge,
  InvalidPart,
  InvalidPartOrder,
  InvalidRange,
  PreconditionFailed,
  RequestTimeout,
  Other,  // any code not listed; S3Error::code_name keeps the text
};

S3ErrorCode s3_error_code_from_name(std::string_view name);
std::string_view s3_error_code_name(S3ErrorCode code);

struct S3Error {
  int http_status = 0;
  S3ErrorCode code = S3ErrorCode::Other;
  std::string code_name;  // S3's <Code> text; empty when the body had none (HEAD, empty 404)
  std::string message;
  std::string request_id;

  // 500 and 503, or SlowDown, InternalError, ServiceUnavailable, RequestTimeout (S3 sends
  // the last with 400 and the others with 200 from CompleteMultipartUpload).
  bool retryable() const;

  // Errc by code, else by HTTP status; retryable errors become unavailable or timeout, so
  // callers holding only a sluice::Error can still decide to retry. detail = S3 code name.
  Error to_error() const;
};

// The <Error> document in body, if body is one (also for a 200 reply to
// CompleteMultipartUpload). Bodies larger than kMaxS3ErrorBody are not scanned.
std::optional<S3Error> parse_s3_error(std::string_view body, int http_status);

// The error of a non-2xx reply: parsed from the body when it is an <Error> document, else
// derived from the status alone (HEAD replies and some proxies send no body).
S3Error s3_error_from_response(int http_status, std::string_view body);

inline constexpr size_t kMaxS3ErrorBody = 64 * 1024;

}  // namespace sluice::s3
