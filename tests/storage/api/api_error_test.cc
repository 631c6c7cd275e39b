// The one map from the service's refusals to HTTP (storage/api/api_error.cc): the statuses,
// codes, details and Retry-After the API gave before the upload code stopped speaking HTTP.
#include "storage/api/api_error.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/service/admission/admission_refusal.h"
#include "storage/service/domain_error.h"

namespace sluice {
namespace {

std::string header(const ApiError& e, const std::string& name) {
  for (const auto& [k, v] : e.headers)
    if (k == name) return v;
  return "";
}

TEST(ApiErrorFrom, UploadSessionReasonsKeepTheirStatusesAndCodes) {
  struct Case {
    Reason reason;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {Reason::invalid_size, 400, "invalid_size"},
      {Reason::invalid_part_size, 400, "invalid_part_size"},
      {Reason::size_beyond_store, 413, "invalid_size"},
      {Reason::part_layout_beyond_store, 413, "invalid_part_size"},
      {Reason::invalid_part_number, 400, "invalid_part_number"},
      {Reason::missing_part, 400, "missing_part"},
      {Reason::etag_mismatch, 400, "etag_mismatch"},
      {Reason::part_size_mismatch, 400, "part_size_mismatch"},
      {Reason::declared_size_exceeded, 400, "declared_size_exceeded"},
      {Reason::invalid_part, 400, "invalid_part"},
      {Reason::checksum_mismatch, 400, "checksum_mismatch"},
      {Reason::file_too_large, 413, "file_too_large"},
      {Reason::unsupported_media_type, 415, "unsupported_media_type"},
      {Reason::quota_exceeded, 507, "quota_exceeded"},
      {Reason::file_limit_exceeded, 507, "file_limit_exceeded"},
      {Reason::complete_in_progress, 409, "complete_in_progress"},
      {Reason::upload_lost, 409, "upload_lost"},
      {Reason::upload_active, 409, "upload_active"},
      {Reason::upload_completing, 409, "upload_completing"},
      {Reason::upload_completed, 409, "upload_completed"},
      {Reason::upload_aborted, 409, "upload_aborted"},
      {Reason::upload_failed, 409, "upload_failed"},
      {Reason::upload_ended, 409, "upload_ended"},
      {Reason::upload_expired, 409, "upload_expired"},
      {Reason::store_failed, 502, "storage_error"},
      {Reason::store_timeout, 504, "storage_timeout"},
      {Reason::not_found, 404, "not_found"},
      {Reason::forbidden, 403, "forbidden"},
  };
  for (const Case& c : cases) {
    ApiError e = api_error_from(domain_error(c.reason, "why"));
    EXPECT_EQ(e.status, c.status) << reason_name(c.reason);
    EXPECT_EQ(e.code, c.code) << reason_name(c.reason);
    EXPECT_EQ(e.message, "why");
  }
}

TEST(ApiErrorFrom, DetailsAndRetryAfterTravelInTheError) {
  ApiError quota = api_error_from(domain_error(Reason::quota_exceeded, "full", "{\"usedBytes\":5}"));
  EXPECT_EQ(quota.details_json, "{\"usedBytes\":5}");
  EXPECT_EQ(header(quota, "Retry-After"), "");
  ApiError busy = api_error_from(domain_error(Reason::complete_in_progress, "later", {}, 1));
  EXPECT_EQ(header(busy, "Retry-After"), "1");
  ApiError limited = api_error_from(domain_error(Reason::rate_limited, "slow down", {}, 42));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.code, "rate_limited");
  EXPECT_EQ(header(limited, "Retry-After"), "42");
}

TEST(AdmissionRefusal, SlotsAndLeasesMapToOneSetOfRefusals) {
  ApiError busy = api_error_from(no_slot_refusal(Error(Errc::unavailable, "no slot")));
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.code, "server_busy");
  EXPECT_EQ(header(busy, "Retry-After"), "1");
  ApiError many = api_error_from(lease_refusal(Error(Errc::limit_exceeded, "2 of 2")));
  EXPECT_EQ(many.status, 429);
  EXPECT_EQ(many.code, "too_many_uploads");
  EXPECT_EQ(many.message, "2 of 2");
  EXPECT_EQ(header(many, "Retry-After"), "1");
  ApiError part = api_error_from(lease_refusal(Error(Errc::conflict, "part 2 busy")));
  EXPECT_EQ(part.status, 409);
  EXPECT_EQ(part.code, "part_in_progress");
  EXPECT_EQ(header(part, "Retry-After"), "1");
  ApiError down = api_error_from(lease_refusal(Error(Errc::unavailable, "Redis down")));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.code, "unavailable");
  EXPECT_EQ(header(down, "Retry-After"), "1");
}

TEST(BodyApiError, TheClientsFaultKeepsItsStatus) {
  ApiError slow = body_api_error(Error(Errc::timeout, "too slow"));
  EXPECT_EQ(slow.status, 408);
  ApiError big = body_api_error(Error(Errc::limit_exceeded, "too long"));
  EXPECT_EQ(big.status, 413);
  ApiError gone = body_api_error(Error(Errc::closed, "peer closed"));
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(gone.code, "client_disconnected");
}

}  // namespace
}  // namespace sluice
