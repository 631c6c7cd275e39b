#include "tools/load/size_distribution.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace sluice::load {
namespace {

TEST(ByteSize, ParsesUnits) {
  EXPECT_EQ(*parse_byte_size("123"), 123u);
  EXPECT_EQ(*parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_byte_size("1MiB"), 1048576u);
  EXPECT_EQ(*parse_byte_size("2gib"), 2ull << 30);
  EXPECT_EQ(*parse_byte_size("10KB"), 10000u);
  EXPECT_EQ(*parse_byte_size(" 5 MB "), 5000000u);
  EXPECT_EQ(*parse_byte_size("0"), 0u);
}

TEST(ByteSize, RejectsGarbage) {
  EXPECT_FALSE(parse_byte_size("").ok());
  EXPECT_FALSE(parse_byte_size("MiB").ok());
  EXPECT_FALSE(parse_byte_size("12 parsecs").ok());
  EXPECT_FALSE(parse_byte_size("-1KiB").ok());
  EXPECT_FALSE(parse_byte_size("99999999999TiB").ok());  // overflows 64 bits
}

TEST(ByteSize, FormatsExactBinaryUnits) {
  EXPECT_EQ(format_byte_size(65536), "64KiB");
  EXPECT_EQ(format_byte_size(64ull << 20), "64MiB");
  EXPECT_EQ(format_byte_size(1000), "1000B");
  EXPECT_EQ(format_byte_size(1536), "1536B");
}

TEST(SizeDistribution, FixedSizeAlwaysSamplesIt) {
  auto d = SizeDistribution::parse("1MiB");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->entries().size(), 1u);
  EXPECT_EQ(d->sample(0), 1u << 20);
  EXPECT_EQ(d->sample(UINT64_MAX), 1u << 20);
  EXPECT_DOUBLE_EQ(d->mean(), 1048576.0);
  EXPECT_EQ(d->to_string(), "1MiB");
}

TEST(SizeDistribution, ParsesWeightedMix) {
  auto d = SizeDistribution::parse("1KiB:50%, 1MiB:40%,64MiB:10%");
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->entries().size(), 3u);
  EXPECT_EQ(d->entries()[0].size, 1024u);
  EXPECT_DOUBLE_EQ(d->entries()[0].weight, 0.5);
  EXPECT_DOUBLE_EQ(d->entries()[2].weight, 0.1);
  EXPECT_EQ(d->max(), 64u << 20);
  EXPECT_NEAR(d->mean(), 0.5 * 1024 + 0.4 * 1048576 + 0.1 * 67108864, 1.0);
  EXPECT_EQ(d->to_string(), "1KiB:50%,1MiB:40%,64MiB:10%");
}

TEST(SizeDistribution, RejectsBadSpecs) {
  EXPECT_FALSE(SizeDistribution::parse("").ok());
  EXPECT_FALSE(SizeDistribution::parse("1KiB:50%,1MiB:40%").ok());   // 90%
  EXPECT_FALSE(SizeDistribution::parse("1KiB:60%,1MiB:60%").ok());   // 120%
  EXPECT_FALSE(SizeDistribution::parse("1KiB,1MiB").ok());           // no weights
  EXPECT_FALSE(SizeDistribution::parse("1KiB:50%,1MiB").ok());       // one weight missing
  EXPECT_FALSE(SizeDistribution::parse("1KiB:abc%,1MiB:50%").ok());
  EXPECT_FALSE(SizeDistribution::parse("1KiB:0%,1MiB:100%").ok());   // zero weight
  auto bad_unit = SizeDistribution::parse("1XB:50%,1MiB:50%");
  ASSERT_FALSE(bad_unit.ok());
  EXPECT_NE(bad_unit.error().message.find("unknown unit"), std::string::npos);
}

TEST(SizeDistribution, SampleBoundariesFollowCumulativeWeights) {
  auto d = SizeDistribution::parse("1KiB:25%,2KiB:75%");
  ASSERT_TRUE(d.ok());
  const uint64_t quarter = uint64_t{1} << 62;
  EXPECT_EQ(d->sample(0), 1024u);
  EXPECT_EQ(d->sample(quarter - 1), 1024u);
  EXPECT_EQ(d->sample(quarter), 2048u);
  EXPECT_EQ(d->sample(UINT64_MAX), 2048u);
}

TEST(SizeDistribution, SamplingMatchesWeights) {
  auto d = SizeDistribution::parse("1KiB:50%,1MiB:40%,64MiB:10%");
  ASSERT_TRUE(d.ok());
  std::mt19937_64 rng(42);
  std::map<uint64_t, int> seen;
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++seen[d->sample(rng())];
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NEAR(seen[1024] / double(n), 0.5, 0.01);
  EXPECT_NEAR(seen[1 << 20] / double(n), 0.4, 0.01);
  EXPECT_NEAR(seen[64 << 20] / double(n), 0.1, 0.01);
}

}  // namespace
}  // namespace sluice::load
