// Encryption at rest in the local store: sizes around the segment size, ranges across segment
// boundaries, tampering and truncation caught, wrong master keys refused, rekeying, and objects
// written before encryption was turned on. (The whole ObjectStore contract also runs encrypted:
// local_store_suite_test.)
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/store/local/key_path.h"
#include "storage/store/local/local_store.h"
#include "storage/store/local/master_key_ring.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/segment_cipher.h"
#include "tests/storage/store/store_test_streams.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::local {
namespace {

namespace fs = std::filesystem;
using sluice::testing::PatternCheckSink;
using sluice::testing::PatternSource;
using sluice::testing::pattern_string;
using sluice::testing::run_reactor;
using sluice::testing::StringSink;
constexpr uint64_t S = kSegmentPlainBytes;

std::shared_ptr<MasterKeyRing> ring_of(std::vector<std::pair<std::string, unsigned char>> keys) {
  auto ring = std::make_shared<MasterKeyRing>();
  for (auto& [id, fill] : keys) {
    MasterKey k;
    k.fill(fill);
    EXPECT_TRUE(ring->add(id, k).ok());
  }
  return ring;
}

class EncryptedLocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = fs::temp_directory_path() / "sluice-sealed-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `body(store)` on a fresh reactor with a store over the same root and `keys`.
  template <class F>
  void with_store(std::shared_ptr<const MasterKeyRing> keys, F body) {
    LocalStoreOptions o;
    o.root = dir_ + "/store";
    o.fsync = FsyncPolicy::none;
    o.keys = std::move(keys);
    run_reactor([o, body](Reactor& r) -> Task<void> {
      auto store = LocalStore::open(r, o);
      EXPECT_TRUE(store.ok()) << store.error().message;
      if (store.ok()) co_await body(**store);
    });
  }
  std::string file_of(const std::string& key) const { return dir_ + "/store/objects/" + *object_path_for_key(key); }
  std::string read_file(const std::string& key) const {
    std::ifstream in(file_of(key), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_file(const std::string& key, const std::string& bytes) const {
    std::ofstream(file_of(key), std::ios::binary | std::ios::trunc) << bytes;
  }

  std::string dir_;
};

Task<Status> put_pattern(LocalStore& store, std::string key, uint32_t seed, uint64_t size) {
  PatternSource src(seed, size, 100003);  // chunks that straddle segment boundaries
  PutOptions opts;
  auto r = co_await store.put(std::move(key), size, src, opts);
  if (!r.ok()) co_return std::move(r).error();
  co_return Status{};
}

TEST_F(EncryptedLocalStoreTest, RoundTripsSizesAroundTheSegmentSize) {
  const std::vector<uint64_t> sizes = {0, 1, S - 1, S, S + 1, 3 * 1024 * 1024 + 7};
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    for (uint64_t size : sizes) {
      std::string key = "u/1/size-" + std::to_string(size);
      Status put = co_await put_pattern(store, key, 7, size);
      EXPECT_TRUE(put.ok()) << put.error().message;
      auto head = co_await store.head(key);
      EXPECT_TRUE(head.ok() && head->size == size) << size;  // the plaintext size
      PatternCheckSink sink(7, 0);
      auto got = co_await store.get(key, std::nullopt, sink);
      EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
      EXPECT_EQ(sink.received, size);
      EXPECT_EQ(sink.expected(), size);
      EXPECT_EQ(sink.mismatch_at, -1) << size;
    }
  });
  for (uint64_t size : sizes) {
    std::string file = read_file("u/1/size-" + std::to_string(size));
    EXPECT_EQ(file.size(), kMaxObjectHeaderSize + sealed_body_bytes(size)) << size;
    EXPECT_EQ(file.substr(0, 8), "SLUICEO2");
    if (size >= 64) {  // the body on disk is not the plaintext
      EXPECT_NE(file.substr(kMaxObjectHeaderSize, 64), pattern_string(7, 0, 64));
    }
  }
}

TEST_F(EncryptedLocalStoreTest, RangesAcrossSegmentBoundaries) {
  const uint64_t size = 3 * S + 100;
  const std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {S - 10, S + 9}, {0, 0}, {2 * S - 1, 3 * S + 5}, {3 * S + 99, 3 * S + 99}, {S, 2 * S - 1}, {5, size - 1}};
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/r", 3, size)).ok());
    for (auto [first, last] : ranges) {
      StringSink sink;
      auto got = co_await store.get("u/1/r", ByteRange{first, last}, sink);
      EXPECT_TRUE(got.ok());
      EXPECT_EQ(sink.range_size, last - first + 1);
      EXPECT_EQ(sink.total_size, size);
      EXPECT_TRUE(sink.bytes == pattern_string(3, first, last - first + 1)) << first << "-" << last;
    }
  });
}

TEST_F(EncryptedLocalStoreTest, ATamperedSegmentFailsOnlyTheReadsThatTouchIt) {
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/t", 5, 3 * S)).ok());
  });
  std::string file = read_file("u/1/t");
  file[kMaxObjectHeaderSize + (S + kSegmentTagBytes) + 1000] ^= 0x01;  // one bit of segment 1
  write_file("u/1/t", file);
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    StringSink whole;
    auto got = co_await store.get("u/1/t", std::nullopt, whole);
    EXPECT_FALSE(got.ok());
    if (!got.ok()) {
      EXPECT_EQ(got.error().code, Errc::internal);
      EXPECT_NE(got.error().message.find("segment 1 fails authentication"), std::string::npos) << got.error().message;
    }
    EXPECT_EQ(whole.bytes.size(), S);  // segment 0 went out; nothing of segment 1 did
    StringSink in_one;                 // a range inside segment 1: refused before any header
    auto one = co_await store.get("u/1/t", ByteRange{S + 5, S + 10}, in_one);
    EXPECT_FALSE(one.ok());
    EXPECT_EQ(in_one.begins, 0);
    StringSink in_two;  // segment 2 alone is intact and is all that is decrypted
    auto two = co_await store.get("u/1/t", ByteRange{2 * S, 2 * S + 99}, in_two);
    EXPECT_TRUE(two.ok());
    EXPECT_TRUE(in_two.bytes == pattern_string(5, 2 * S, 100));
  });
}

TEST_F(EncryptedLocalStoreTest, TruncatedOrReorderedBodiesFail) {
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    for (const char* key : {"u/1/cut-byte", "u/1/cut-segment", "u/1/swapped"})
      EXPECT_TRUE((co_await put_pattern(store, key, 9, 2 * S + 10)).ok());
  });
  const size_t seg = S + kSegmentTagBytes;
  std::string file = read_file("u/1/cut-byte");
  write_file("u/1/cut-byte", file.substr(0, file.size() - 1));
  // Drop the final segment and claim the body ends at the (non-final) second one.
  file = read_file("u/1/cut-segment");
  file = file.substr(0, kMaxObjectHeaderSize + 2 * seg);
  uint64_t two_segments = 2 * S;
  for (int i = 0; i < 8; ++i) file[8 + i] = static_cast<char>(two_segments >> (8 * i));
  write_file("u/1/cut-segment", file);
  file = read_file("u/1/swapped");
  std::string a = file.substr(kMaxObjectHeaderSize, seg), b = file.substr(kMaxObjectHeaderSize + seg, seg);
  file.replace(kMaxObjectHeaderSize, seg, b).replace(kMaxObjectHeaderSize + seg, seg, a);
  write_file("u/1/swapped", file);
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    for (const char* key : {"u/1/cut-byte", "u/1/cut-segment", "u/1/swapped"}) {
      StringSink sink;
      auto got = co_await store.get(key, std::nullopt, sink);
      EXPECT_FALSE(got.ok()) << key;
      if (!got.ok()) {
        EXPECT_EQ(got.error().code, Errc::internal) << key;
      }
    }
  });
}

TEST_F(EncryptedLocalStoreTest, AWrongOrMissingMasterKeyIsRefused) {
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/k", 1, 1000)).ok());
  });
  auto expect_refused = [&](std::shared_ptr<const MasterKeyRing> ring, std::string why) {
    with_store(std::move(ring), [why](LocalStore& store) -> Task<void> {
      StringSink sink;
      auto got = co_await store.get("u/1/k", std::nullopt, sink);
      EXPECT_FALSE(got.ok());
      if (!got.ok()) {
        EXPECT_NE(got.error().message.find(why), std::string::npos) << got.error().message;
      }
      EXPECT_EQ(sink.begins, 0);
    });
  };
  expect_refused(ring_of({{"k1", 2}}), "does not unwrap");      // same id, other key
  expect_refused(ring_of({{"k9", 1}}), "which is not configured");
  expect_refused(nullptr, "no master key is configured");
}

TEST_F(EncryptedLocalStoreTest, RekeyRewrapsWithoutRewritingTheBody) {
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/old", 4, S + 3)).ok());
  });
  with_store(nullptr, [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/plain", 4, 10)).ok());
  });
  std::string before = read_file("u/1/old");
  auto rotation = ring_of({{"k2", 2}, {"k1", 1}});  // k2 current, k1 still readable
  with_store(rotation, [&](LocalStore& store) -> Task<void> {
    auto r = co_await store.rekey_object("u/1/old");
    EXPECT_TRUE(r.ok() && *r == RekeyOutcome::rewrapped);
    r = co_await store.rekey_object("u/1/old");
    EXPECT_TRUE(r.ok() && *r == RekeyOutcome::already_current);
    r = co_await store.rekey_object("u/1/plain");
    EXPECT_TRUE(r.ok() && *r == RekeyOutcome::plain);
    r = co_await store.rekey_object("u/1/none");
    EXPECT_TRUE(!r.ok() && r.error().code == Errc::not_found);
  });
  std::string after = read_file("u/1/old");
  EXPECT_EQ(after.size(), before.size());
  EXPECT_TRUE(after.substr(kMaxObjectHeaderSize) == before.substr(kMaxObjectHeaderSize));  // body untouched
  EXPECT_NE(after.substr(kObjectHeaderSize, kEnvelopeSize), before.substr(kObjectHeaderSize, kEnvelopeSize));
  with_store(ring_of({{"k2", 2}}), [&](LocalStore& store) -> Task<void> {  // k1 retired
    PatternCheckSink sink(4, 0);
    auto got = co_await store.get("u/1/old", std::nullopt, sink);
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
    EXPECT_EQ(sink.received, S + 3);
    EXPECT_EQ(sink.mismatch_at, -1);
  });
}

TEST_F(EncryptedLocalStoreTest, ObjectsWrittenBeforeEncryptionStayReadable) {
  with_store(nullptr, [&](LocalStore& store) -> Task<void> {
    EXPECT_TRUE((co_await put_pattern(store, "u/1/before", 8, 2 * S + 1)).ok());
  });
  EXPECT_EQ(read_file("u/1/before").substr(0, 8), "SLUICEO1");
  with_store(ring_of({{"k1", 1}}), [&](LocalStore& store) -> Task<void> {
    PatternCheckSink sink(8, S - 1);
    auto got = co_await store.get("u/1/before", ByteRange{S - 1, std::nullopt}, sink);
    EXPECT_TRUE(got.ok());
    EXPECT_EQ(sink.received, S + 2);
    EXPECT_EQ(sink.mismatch_at, -1);
    EXPECT_TRUE((co_await put_pattern(store, "u/1/after", 8, 5)).ok());
  });
  EXPECT_EQ(read_file("u/1/after").substr(0, 8), "SLUICEO2");
}

TEST(MasterKeyRing, LoadsTheCurrentKeyAndOlderOnesFromFiles) {
  std::string tmpl = fs::temp_directory_path() / "sluice-keys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/k2.key") << std::string(64, 'b') << "\n";
  std::ofstream(dir + "/k1.key") << std::string(64, 'A');
  std::ofstream(dir + "/bad.key") << "xyz";
  auto ring = MasterKeyRing::load(dir + "/k2.key");
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  EXPECT_EQ(ring->current_id(), "k2");
  EXPECT_FALSE(ring->has("k1"));
  EXPECT_FALSE(MasterKeyRing::load(dir + "/k2.key", dir).ok());  // bad.key is not a key
  fs::remove(dir + "/bad.key");
  ring = MasterKeyRing::load(dir + "/k2.key", dir);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  EXPECT_EQ(ring->current_id(), "k2");
  EXPECT_TRUE(ring->has("k1"));
  DataKey data;
  data.fill(7);
  auto wrapped = ring->wrap(data);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_TRUE(ring->unwrap("k2", *wrapped).ok());
  EXPECT_FALSE(ring->unwrap("k1", *wrapped).ok());
  EXPECT_FALSE(MasterKeyRing::load(dir + "/missing.key").ok());
  EXPECT_FALSE(parse_master_key(std::string(63, 'a')).ok());
  EXPECT_FALSE(MasterKeyRing::validate_key_id("a/b").ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice::local
