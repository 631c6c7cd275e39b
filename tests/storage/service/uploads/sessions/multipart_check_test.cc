// The pure parts of multipart sessions: the part layout Sluice chooses or accepts, the checks a
// complete runs against the store's parts, and the request bodies.
#include <gtest/gtest.h>

#include "storage/service/uploads/sessions/session_admission.h"
#include "storage/service/uploads/sessions/session_completion.h"
#include "storage/api/session_requests.h"

namespace sluice {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

SessionRecord three_parts() {
  SessionRecord r;
  r.part_size = 5 * kMiB;
  r.declared_size = 10 * kMiB + 100;
  r.total_parts = 3;
  return r;
}

std::vector<PartInfo> stored_parts() {
  return {PartInfo{1, 5 * kMiB, "\"AAAA\""}, PartInfo{2, 5 * kMiB, "bbbb"}, PartInfo{3, 100, "cccc"}};
}

std::vector<RequestedPart> requested(std::vector<std::pair<int, std::string>> v) {
  std::vector<RequestedPart> out;
  for (auto& [n, e] : v) out.push_back(RequestedPart{n, e});
  return out;
}

TEST(PartLayout, SluiceChoosesEqualPartsWithinS3Rules) {
  auto small = plan_session_parts(100, std::nullopt, 8 * kMiB);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->total_parts, 1u);
  EXPECT_EQ(small->part_size, 100u);
  auto mid = plan_session_parts(50 * kMiB, std::nullopt, 8 * kMiB);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->part_size, 8 * kMiB);
  EXPECT_EQ(mid->total_parts, 7u);
  // 5 TiB needs larger parts to stay within 10,000.
  auto huge = plan_session_parts(5ull << 40, std::nullopt, 8 * kMiB);
  ASSERT_TRUE(huge.ok());
  EXPECT_LE(huge->total_parts, 10000u);
  EXPECT_GE(huge->part_size * huge->total_parts, 5ull << 40);
  EXPECT_FALSE(plan_session_parts(0, std::nullopt, 8 * kMiB).ok());
  EXPECT_EQ(plan_session_parts((5ull << 40) + 1, std::nullopt, 8 * kMiB).error().code, Errc::limit_exceeded);
}

TEST(PartLayout, ClientPartSizeIsCheckedAgainstS3Rules) {
  auto ok = plan_session_parts(11 * kMiB, 5 * kMiB, 8 * kMiB);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->part_size, 5 * kMiB);
  EXPECT_EQ(ok->total_parts, 3u);
  EXPECT_FALSE(plan_session_parts(20 * kMiB, 1 * kMiB, 8 * kMiB).ok());      // below 5 MiB
  EXPECT_FALSE(plan_session_parts(100000 * kMiB, 5 * kMiB, 8 * kMiB).ok());  // 20,000 parts
  EXPECT_FALSE(plan_session_parts(10 * kMiB, 6ull << 30, 8 * kMiB).ok());    // above 5 GiB
  auto one = plan_session_parts(100, 200, 8 * kMiB);                         // the only part may be small
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->total_parts, 1u);
  EXPECT_EQ(one->part_size, 100u);
  EXPECT_FALSE(plan_session_parts(100, 1, 8 * kMiB).ok());
}

TEST(SessionRecord, ExpectedPartSizes) {
  SessionRecord r = three_parts();
  EXPECT_EQ(r.expected_part_size(0), 0u);
  EXPECT_EQ(r.expected_part_size(1), 5 * kMiB);
  EXPECT_EQ(r.expected_part_size(3), 100u);
  EXPECT_EQ(r.expected_part_size(4), 0u);
}

TEST(CheckParts, AcceptsTheFullListInAnyOrderWithQuotedEtags) {
  auto c = check_parts(three_parts(), requested({{3, "CCCC"}, {1, "aaaa"}, {2, "\"bbbb\""}}), stored_parts());
  ASSERT_FALSE(c.refusal) << c.refusal->message;
  ASSERT_EQ(c.parts.size(), 3u);
  EXPECT_EQ(c.parts[0].etag, "aaaa");
  EXPECT_EQ(c.parts[2].number, 3);
}

TEST(CheckParts, RefusesWrongEtagMissingAndUnlistedParts) {
  auto etag = check_parts(three_parts(), requested({{1, "aaaa"}, {2, "ffff"}, {3, "cccc"}}), stored_parts());
  ASSERT_TRUE(etag.refusal);
  EXPECT_EQ(etag.refusal->reason, "etag_mismatch");
  EXPECT_FALSE(etag.abort);
  auto stored = stored_parts();
  stored.erase(stored.begin() + 1);
  auto missing = check_parts(three_parts(), requested({{1, "aaaa"}, {2, "bbbb"}, {3, "cccc"}}), stored);
  ASSERT_TRUE(missing.refusal);
  EXPECT_EQ(missing.refusal->reason, "missing_part");
  EXPECT_NE(missing.refusal->message.find("2"), std::string::npos);
  auto unlisted = check_parts(three_parts(), requested({{1, "aaaa"}, {3, "cccc"}}), stored_parts());
  ASSERT_TRUE(unlisted.refusal);
  EXPECT_EQ(unlisted.refusal->reason, "missing_part");
  auto dup = check_parts(three_parts(), requested({{1, "aaaa"}, {1, "aaaa"}, {3, "cccc"}}), stored_parts());
  ASSERT_TRUE(dup.refusal);
  auto range = check_parts(three_parts(), requested({{4, "aaaa"}}), stored_parts());
  ASSERT_TRUE(range.refusal);
  EXPECT_EQ(range.refusal->reason, "invalid_part_number");
  EXPECT_TRUE(check_parts(three_parts(), {}, stored_parts()).refusal);
}

TEST(CheckParts, ShortPartIsRefusedButBytesBeyondTheDeclaredSizeAbort) {
  auto stored = stored_parts();
  stored[0].size = 5 * kMiB - 1;
  auto short_part = check_parts(three_parts(), requested({{1, "aaaa"}, {2, "bbbb"}, {3, "cccc"}}), stored);
  ASSERT_TRUE(short_part.refusal);
  EXPECT_EQ(short_part.refusal->reason, "part_size_mismatch");
  EXPECT_FALSE(short_part.abort);
  stored = stored_parts();
  stored[2].size = 101;  // one byte more than declared, even if the client does not list it
  auto over = check_parts(three_parts(), requested({{1, "aaaa"}, {2, "bbbb"}}), stored);
  ASSERT_TRUE(over.refusal);
  EXPECT_EQ(over.refusal->reason, "declared_size_exceeded");
  EXPECT_TRUE(over.abort);
  stored = stored_parts();
  stored.push_back(PartInfo{4, 1, "dddd"});  // a part outside the layout
  EXPECT_TRUE(check_parts(three_parts(), requested({{1, "aaaa"}, {2, "bbbb"}, {3, "cccc"}}), stored).abort);
}

TEST(MultipartRequests, ParseBodies) {
  auto init =
      parse_initiate_request(R"({"path":"/a","name":"n.bin","contentType":"video/mp4","size":123,"partSize":null})");
  ASSERT_TRUE(init.ok()) << init.error().message;
  EXPECT_EQ(init->size.value(), 123u);
  EXPECT_EQ(*init->content_type, "video/mp4");
  EXPECT_FALSE(init->part_size);
  EXPECT_FALSE(parse_initiate_request(R"({"name":"n","size":-1})").ok());
  EXPECT_FALSE(parse_initiate_request(R"({"name":"n","size":"12"})").ok());
  EXPECT_FALSE(parse_initiate_request(R"({"size":12})").ok());
  EXPECT_FALSE(parse_initiate_request("[1]").ok());
  auto parts = parse_complete_request(R"({"parts":[{"partNumber":2,"etag":"\"x\""},{"partNumber":1,"etag":"y"}]})");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].etag, "\"x\"");
  EXPECT_FALSE(parse_complete_request(R"({"parts":[{"partNumber":0,"etag":"y"}]})").ok());
  EXPECT_FALSE(parse_complete_request(R"({"parts":[{"partNumber":1}]})").ok());
  EXPECT_FALSE(parse_complete_request(R"({"parts":{}})").ok());
  EXPECT_FALSE(parse_presign_request("  ")->has_value());
  EXPECT_EQ(**parse_presign_request(R"({"expiresIn":300})"), 300);
  EXPECT_FALSE(parse_presign_request(R"({"expiresIn":-5})").ok());
}

}  // namespace
}  // namespace sluice
