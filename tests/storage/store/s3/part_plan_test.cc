// Multipart part planning against S3's limits (and R2's equal-parts rule).
#include "storage/store/s3/part_plan.h"

#include <gtest/gtest.h>

namespace sluice::s3 {
namespace {

constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kTiB = 1024 * kGiB;

// The invariants every multipart plan must satisfy.
void expect_valid(const PartPlan& plan) {
  ASSERT_GE(plan.part_count, 1u);
  ASSERT_LE(plan.part_count, kMaxParts);
  auto parts = plan.parts();
  ASSERT_EQ(parts.size(), plan.part_count);
  uint64_t next = 0;
  for (const auto& p : parts) {
    EXPECT_EQ(p.offset, next);
    EXPECT_GT(p.length, 0u);
    if (p.number < plan.part_count) {
      EXPECT_EQ(p.length, plan.part_size);
    } else {
      EXPECT_LE(p.length, plan.part_size);
    }
    next += p.length;
  }
  EXPECT_EQ(next, plan.object_size);
  if (plan.multipart) {
    EXPECT_GE(plan.part_size, kMinPartSize);
    EXPECT_LE(plan.part_size, kMaxPartSize);
  }
}

TEST(PartPlan, SmallObjectsAreOnePut) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, 8 * kMiB}) {
    auto plan = plan_parts(size);
    ASSERT_TRUE(plan.ok());
    EXPECT_FALSE(plan->multipart) << size;
    EXPECT_EQ(plan->part_count, 1u);
    EXPECT_EQ(plan->part(1).length, size);
    if (size > 0) expect_valid(*plan);
  }
}

TEST(PartPlan, EqualPartsAndAShorterLastOne) {
  auto plan = plan_parts(8 * kMiB + 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->multipart);
  EXPECT_EQ(plan->part_size, 8 * kMiB);
  EXPECT_EQ(plan->part_count, 2u);
  EXPECT_EQ(plan->last_part_size(), 1u);
  EXPECT_EQ(plan->part(2).offset, 8 * kMiB);
  expect_valid(*plan);

  auto exact = plan_parts(80 * kMiB);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->part_count, 10u);
  EXPECT_EQ(exact->last_part_size(), 8 * kMiB);
  expect_valid(*exact);
}

TEST(PartPlan, ThresholdAndPartSizeAreConfigurable) {
  PartPlanOptions opts{.part_size = 5 * kMiB, .multipart_threshold = 100 * kMiB};
  auto single = plan_parts(100 * kMiB, opts);
  ASSERT_TRUE(single.ok());
  EXPECT_FALSE(single->multipart);
  auto multi = plan_parts(100 * kMiB + 7, opts);
  ASSERT_TRUE(multi.ok());
  EXPECT_TRUE(multi->multipart);
  EXPECT_EQ(multi->part_size, 5 * kMiB);
  EXPECT_EQ(multi->part_count, 21u);
  EXPECT_EQ(multi->last_part_size(), 7u);
  expect_valid(*multi);
}

TEST(PartPlan, GrowsPartSizeToStayWithinTenThousandParts) {
  // 8 MiB * 10000 fits exactly; one byte more needs a larger, whole-MiB part size.
  auto at_limit = plan_parts(8 * kMiB * kMaxParts);
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->part_size, 8 * kMiB);
  EXPECT_EQ(at_limit->part_count, kMaxParts);

  auto over = plan_parts(8 * kMiB * kMaxParts + 1);
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->part_size, 9 * kMiB);
  EXPECT_EQ(over->part_size % kMiB, 0u);
  expect_valid(*over);

  auto max = plan_parts(kMaxObjectSize);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->part_size, 525 * kMiB);  // ceil(5 TiB / 10000) rounded up to a MiB
  EXPECT_LE(max->part_count, kMaxParts);
  EXPECT_EQ(max->part(max->part_count).offset + max->last_part_size(), kMaxObjectSize);
}

TEST(PartPlan, ManySizesSatisfyInvariants) {
  for (uint64_t size : {9 * kMiB, 100 * kMiB + 3, kGiB, 5 * kGiB + 1, 100 * kGiB - 1, kTiB, 3 * kTiB + 12345}) {
    auto plan = plan_parts(size);
    ASSERT_TRUE(plan.ok()) << size;
    EXPECT_TRUE(plan->multipart);
    if (plan->part_count < 2000) {
      expect_valid(*plan);
    } else {
      EXPECT_LE(plan->part_count, kMaxParts);
      EXPECT_EQ(plan->part_size * (plan->part_count - 1) + plan->last_part_size(), size);
      EXPECT_GE(plan->last_part_size(), 1u);
      EXPECT_LE(plan->last_part_size(), plan->part_size);
    }
  }
}

TEST(PartPlan, ImpossibleSizesAreErrors) {
  auto too_big = plan_parts(kMaxObjectSize + 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::limit_exceeded);

  auto small_part = plan_parts(kGiB, {.part_size = 5 * kMiB - 1});
  ASSERT_FALSE(small_part.ok());
  EXPECT_EQ(small_part.error().code, Errc::invalid_argument);
  EXPECT_NE(small_part.error().message.find("5 MiB"), std::string::npos);

  EXPECT_FALSE(plan_parts(kGiB, {.part_size = kMaxPartSize + 1}).ok());
  EXPECT_FALSE(plan_parts(kGiB, {.part_size = 8 * kMiB, .multipart_threshold = kMaxSinglePutSize + 1}).ok());
  EXPECT_TRUE(plan_parts(kGiB, {.part_size = kMaxPartSize, .multipart_threshold = kMaxSinglePutSize}).ok());
}

TEST(ClientPartSize, Validation) {
  EXPECT_TRUE(validate_client_part_size(100 * kMiB, 5 * kMiB).ok());
  EXPECT_TRUE(validate_client_part_size(kMiB, kMiB).ok());  // a single (last) part may be small
  EXPECT_TRUE(validate_client_part_size(0, 1).ok());
  EXPECT_TRUE(validate_client_part_size(50 * kGiB, kMaxPartSize).ok());

  auto zero = validate_client_part_size(kMiB, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, Errc::invalid_argument);

  auto small = validate_client_part_size(10 * kMiB, 4 * kMiB);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("5 MiB"), std::string::npos);

  EXPECT_FALSE(validate_client_part_size(10 * kGiB, kMaxPartSize + 1).ok());

  auto too_many = validate_client_part_size(100 * kGiB, 5 * kMiB);  // 20480 parts
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("20480"), std::string::npos) << too_many.error().message;
  EXPECT_NE(too_many.error().message.find("11 MiB"), std::string::npos) << too_many.error().message;
  EXPECT_TRUE(validate_client_part_size(100 * kGiB, 11 * kMiB).ok());

  auto huge = validate_client_part_size(kMaxObjectSize + 1, kMaxPartSize);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, Errc::limit_exceeded);
}

}  // namespace
}  // namespace sluice::s3
