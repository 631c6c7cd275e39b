#include "storage/store/stream_digest.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace sluice {
namespace {

std::span<const char> bytes(const std::string& s) { return {s.data(), s.size()}; }

TEST(StreamDigest, MatchesKnownVectorsWhateverTheChunking) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  StreamDigest whole(true, true);
  whole.update(bytes(text));
  StreamDigestResult a = whole.finish();
  EXPECT_EQ(a.md5_hex, "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(a.sha256_hex, "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
  StreamDigest pieces(true, true);
  for (char c : text) pieces.update(std::span<const char>(&c, 1));
  StreamDigestResult b = pieces.finish();
  EXPECT_EQ(a.md5_hex, b.md5_hex);
  EXPECT_EQ(a.sha256_hex, b.sha256_hex);
  EXPECT_EQ(a.md5, b.md5);
}

TEST(StreamDigest, ComputesOnlyWhatIsAsked) {
  StreamDigest md5_only(true, false);
  EXPECT_TRUE(md5_only.md5_enabled());
  EXPECT_FALSE(md5_only.sha256_enabled());
  StreamDigestResult r = md5_only.finish();
  EXPECT_EQ(r.md5_hex, "d41d8cd98f00b204e9800998ecf8427e");  // MD5 of nothing
  EXPECT_TRUE(r.sha256_hex.empty());
}

TEST(StreamDigest, HexRoundTrips) {
  std::array<unsigned char, 4> raw{0x00, 0xAB, 0x7F, 0xFF};
  EXPECT_EQ(to_hex(raw), "00ab7fff");
  std::array<unsigned char, 4> back{};
  EXPECT_TRUE(from_hex("00AB7fff", back));
  EXPECT_EQ(back, raw);
  EXPECT_FALSE(from_hex("00ab7ff", back));
  EXPECT_FALSE(from_hex("00ab7ffg", back));
}

}  // namespace
}  // namespace sluice
