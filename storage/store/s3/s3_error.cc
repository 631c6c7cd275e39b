#include "storage/store/s3/s3_error.h"

#include <array>
#include <utility>

#include "storage/store/s3/xml_scanner.h"

namespace sluice::s3 {
namespace {

struct CodeName {
  S3ErrorCode code;
  std::string_view name;
};

constexpr std::array<CodeName, 15> kCodeNames{{
    {S3ErrorCode::NoSuchKey, "NoSuchKey"},
    {S3ErrorCode::NoSuchBucket, "NoSuchBucket"},
    {S3ErrorCode::NoSuchUpload, "NoSuchUpload"},
    {S3ErrorCode::AccessDenied, "AccessDenied"},
    {S3ErrorCode::SignatureDoesNotMatch, "SignatureDoesNotMatch"},
    {S3ErrorCode::SlowDown, "SlowDown"},
    {S3ErrorCode::InternalError, "InternalError"},
    {S3ErrorCode::ServiceUnavailable, "ServiceUnavailable"},
    {S3ErrorCode::EntityTooSmall, "EntityTooSmall"},
    {S3ErrorCode::EntityTooLarge, "EntityTooLarge"},
    {S3ErrorCode::InvalidPart, "InvalidPart"},
    {S3ErrorCode::InvalidPartOrder, "InvalidPartOrder"},
    {S3ErrorCode::InvalidRange, "InvalidRange"},
    {S3ErrorCode::PreconditionFailed, "PreconditionFailed"},
    {S3ErrorCode::RequestTimeout, "RequestTimeout"},
}};

// An element's text, unescaped; the raw text if it has a bad entity (an error message is
// still worth showing).
std::string element_text(std::string_view doc, std::string_view name) {
  auto raw = XmlScanner::first(doc, name);
  if (!raw) return {};
  auto text = xml_unescape(*raw);
  return text ? std::move(*text) : std::string(*raw);
}

Errc errc_from_status(int status) {
  switch (status) {
    case 400: return Errc::invalid_argument;
    case 401: return Errc::unauthenticated;
    case 403: return Errc::permission_denied;
    case 404: return Errc::not_found;
    case 408: return Errc::timeout;
    case 409: return Errc::conflict;
    case 412: return Errc::conflict;
    case 416: return Errc::invalid_argument;
    case 429: return Errc::unavailable;
    default: break;
  }
  if (status >= 500) return Errc::unavailable;
  return Errc::protocol_error;
}

}  // namespace

S3ErrorCode s3_error_code_from_name(std::string_view name) {
  for (const auto& c : kCodeNames) {
    if (c.name == name) return c.code;
  }
  return S3ErrorCode::Other;
}

std::string_view s3_error_code_name(S3ErrorCode code) {
  for (const auto& c : kCodeNames) {
    if (c.code == code) return c.name;
  }
  return "Other";
}

bool S3Error::retryable() const {
  switch (code) {
    case S3ErrorCode::SlowDown:
    case S3ErrorCode::InternalError:
    case S3ErrorCode::ServiceUnavailable:
    case S3ErrorCode::RequestTimeout:
      return true;
    default:
      return http_status == 500 || http_status == 503;
  }
}

Error S3Error::to_error() const {
  Errc errc = errc_from_status(http_status);
  switch (code) {
    case S3ErrorCode::NoSuchKey:
    case S3ErrorCode::NoSuchBucket:
    case S3ErrorCode::NoSuchUpload: errc = Errc::not_found; break;
    case S3ErrorCode::AccessDenied: errc = Errc::permission_denied; break;
    case S3ErrorCode::SignatureDoesNotMatch: errc = Errc::unauthenticated; break;
    case S3ErrorCode::SlowDown:
    case S3ErrorCode::InternalError:
    case S3ErrorCode::ServiceUnavailable: errc = Errc::unavailable; break;
    case S3ErrorCode::RequestTimeout: errc = Errc::timeout; break;
    case S3ErrorCode::EntityTooLarge: errc = Errc::limit_exceeded; break;
    case S3ErrorCode::EntityTooSmall:
    case S3ErrorCode::InvalidPart:
    case S3ErrorCode::InvalidPartOrder:
    case S3ErrorCode::InvalidRange: errc = Errc::invalid_argument; break;
    case S3ErrorCode::PreconditionFailed: errc = Errc::conflict; break;
    case S3ErrorCode::Other:
      if (retryable()) errc = Errc::unavailable;
      break;
  }
  std::string msg = "S3 ";
  msg += code_name.empty() ? std::string_view("error") : std::string_view(code_name);
  msg += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) msg += ": " + message;
  if (!request_id.empty()) msg += " [request id " + request_id + "]";
  return Error(errc, std::move(msg), code_name);
}

std::optional<S3Error> parse_s3_error(std::string_view body, int http_status) {
  if (body.size() > kMaxS3ErrorBody || XmlScanner::root_name(body) != "Error") return std::nullopt;
  auto error_body = XmlScanner::first(body, "Error");
  if (!error_body) return std::nullopt;
  S3Error e;
  e.http_status = http_status;
  e.code_name = element_text(*error_body, "Code");
  e.code = s3_error_code_from_name(e.code_name);
  e.message = element_text(*error_body, "Message");
  e.request_id = element_text(*error_body, "RequestId");
  return e;
}

S3Error s3_error_from_response(int http_status, std::string_view body) {
  if (auto e = parse_s3_error(body, http_status)) return std::move(*e);
  // No <Error> body (HEAD replies, some proxies): the status alone decides, via to_error().
  S3Error e;
  e.http_status = http_status;
  return e;
}

}  // namespace sluice::s3
