#include "storage/api/range_header.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

void expect_partial(std::string_view h, uint64_t size, uint64_t first, uint64_t last) {
  auto r = parse_range_header(h, size);
  EXPECT_EQ(r.kind, RangeKind::partial) << h;
  EXPECT_EQ(r.range.first, first) << h;
  EXPECT_EQ(r.range.last.value_or(~0ull), last) << h;
}

TEST(RangeHeader, Forms) {
  expect_partial("bytes=0-9", 100, 0, 9);
  expect_partial("bytes=90-", 100, 90, 99);
  expect_partial("bytes=-10", 100, 90, 99);
  expect_partial("bytes=-1000", 100, 0, 99);
  expect_partial("bytes=50-5000", 100, 50, 99);
  EXPECT_EQ(parse_range_header("bytes=100-", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(parse_range_header("bytes=-0", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(parse_range_header("bytes=0-0", 0).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(parse_range_header("", 100).kind, RangeKind::whole);
  EXPECT_EQ(parse_range_header("bytes=5-2", 100).kind, RangeKind::whole);
  EXPECT_EQ(parse_range_header("bytes=0-1,5-6", 100).kind, RangeKind::whole);
  EXPECT_EQ(parse_range_header("items=0-1", 100).kind, RangeKind::whole);
  EXPECT_EQ(parse_range_header("bytes=x-1", 100).kind, RangeKind::whole);
}

}  // namespace
}  // namespace sluice
