// The ObjectStore contract as one GoogleTest suite, run against every store implementation.
// A test file instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreSuite,
//       ::testing::Values(ObjectStoreFactory{"local", &make_local_store, nullptr}),
//       ObjectStoreSuite::name_of);
//
// `make` builds a store on the test's reactor (nullptr fails the test: put the reason in
// ADD_FAILURE first); `prepare` (optional, a plain function) runs once per test before it,
// e.g. to create the bucket. Each test uses its own key prefix, so stores may be shared.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>

#include "storage/store/object_store.h"
#include "tests/storage/store/store_test_streams.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::testing {

// Parts of the contract a test peer is known not to meet (only for third-party S3 emulators;
// Sluice's own stores must meet all of it). Tests needing them are skipped with the reason.
enum StoreGap : unsigned {
  kNoMultipartListing = 1,  // no ListParts, ListMultipartUploads or AbortMultipartUpload
  kKeepsAbortedPuts = 2,    // a PUT whose connection broke mid-body still creates an object
};

struct ObjectStoreFactory {
  std::string name;
  std::function<std::unique_ptr<ObjectStore>(Reactor&)> make;
  Task<Status> (*prepare)(ObjectStore&) = nullptr;
  unsigned gaps = 0;  // StoreGap bits
};

inline void PrintTo(const ObjectStoreFactory& f, std::ostream* os) { *os << f.name; }

class ObjectStoreSuite : public ::testing::TestWithParam<ObjectStoreFactory> {
 public:
  static std::string name_of(const ::testing::TestParamInfo<ObjectStoreFactory>& info) { return info.param.name; }

 protected:
  // Runs `body(store, prefix)` on a fresh reactor with a fresh store, then shuts it down.
  template <class F>
  void with_store(F body) {
    ObjectStoreFactory factory = GetParam();
    std::string prefix = unique_prefix();
    // The lambda lives in run_reactor's frame until the test coroutine ends, so its captures
    // outlive every suspension.
    run_reactor([factory, prefix, body](Reactor& r) -> Task<void> {
      std::unique_ptr<ObjectStore> store = factory.make(r);
      if (!store) {
        ADD_FAILURE() << "the " << factory.name << " store could not be made";
        co_return;
      }
      bool ready = true;
      if (factory.prepare) {
        auto st = co_await factory.prepare(*store);
        EXPECT_TRUE(st.ok()) << (st ? "" : st.error().message);
        ready = st.ok();
      }
      if (ready) co_await body(*store, prefix);
      co_await store->shutdown();
    });
  }

  bool has_gap(StoreGap gap) const { return (GetParam().gaps & gap) != 0; }
  // For a third-party peer that lacks a behaviour, the test checks that the gap is really
  // there (and fails once the peer gains it, so the declared gap must then be dropped).
  void expect_gap(StoreGap gap);

  static std::string unique_prefix() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = info ? info->name() : "test";
    for (char& c : test) {
      if (c == '/') c = '-';
    }
    std::random_device rd;
    return "suite/" + test + "-" + std::to_string(rd() % 1000000) + "/";
  }
};


using namespace std::chrono_literals;

inline std::string describe(const Status& st) { return st ? "ok" : std::string(errc_name(st.error().code)) + ": " + st.error().message; }
template <class T>
std::string describe(const Result<T>& r) { return r ? "ok" : std::string(errc_name(r.error().code)) + ": " + r.error().message; }

TEST_P(ObjectStoreSuite, PutGetHeadRemove) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    std::string key = prefix + "hello.txt";
    StringSource src("hello world", 4);
    PutOptions opts;
    opts.content_type = "text/plain";
    opts.want_md5 = true;
    opts.want_sha256 = true;
    auto put = co_await store.put(key, 11, src, opts);
    EXPECT_TRUE(put.ok()) << describe(put);
    if (!put) co_return;
    EXPECT_EQ(put->size, 11u);
    EXPECT_FALSE(put->etag.empty());
    EXPECT_EQ(put->etag.find('"'), std::string::npos);
    EXPECT_EQ(put->md5_hex, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    EXPECT_EQ(put->sha256_hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");

    auto head = co_await store.head(key);
    EXPECT_TRUE(head.ok()) << describe(head);
    if (head) {
      EXPECT_EQ(head->size, 11u);
      EXPECT_EQ(head->etag, put->etag);
      EXPECT_EQ(head->content_type, "text/plain");
    }
    StringSink sink;
    auto got = co_await store.get(key, std::nullopt, sink);
    EXPECT_TRUE(got.ok()) << describe(got);
    EXPECT_EQ(sink.bytes, "hello world");
    EXPECT_EQ(sink.begins, 1);
    EXPECT_EQ(sink.range_size, 11u);
    EXPECT_EQ(sink.total_size, 11u);
    EXPECT_EQ(sink.etag, put->etag);

    EXPECT_TRUE((co_await store.remove(key)).ok());
    auto gone = co_await store.head(key);
    EXPECT_FALSE(gone.ok());
    if (!gone) {
      EXPECT_EQ(gone.error().code, Errc::not_found) << gone.error().message;
    }
    // Deleting a missing key succeeds, as in S3.
    auto again = co_await store.remove(key);
    EXPECT_TRUE(again.ok()) << describe(again);
  });
}

TEST_P(ObjectStoreSuite, MissingObjectIsNotFound) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    StringSink sink;
    auto got = co_await store.get(prefix + "absent", std::nullopt, sink);
    EXPECT_FALSE(got.ok());
    if (!got) {
      EXPECT_EQ(got.error().code, Errc::not_found) << got.error().message;
    }
    EXPECT_EQ(sink.begins, 0);
    EXPECT_TRUE(sink.bytes.empty());
  });
}

TEST_P(ObjectStoreSuite, EmptyObject) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    StringSource src("");
    auto put = co_await store.put(prefix + "empty", 0, src, PutOptions());
    EXPECT_TRUE(put.ok()) << describe(put);
    StringSink sink;
    auto got = co_await store.get(prefix + "empty", std::nullopt, sink);
    EXPECT_TRUE(got.ok()) << describe(got);
    if (got) {
      EXPECT_EQ(got->size, 0u);
    }
    EXPECT_TRUE(sink.bytes.empty());
  });
}

TEST_P(ObjectStoreSuite, RangeReads) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    std::string key = prefix + "ranged.bin";
    constexpr uint64_t kSize = 300000;
    PatternSource src(7, kSize, 10000);
    auto put = co_await store.put(key, kSize, src, PutOptions());
    EXPECT_TRUE(put.ok()) << describe(put);
    if (!put) co_return;
    {
      StringSink sink;
      ByteRange range{1000, 1999};
      auto got = co_await store.get(key, range, sink);
      EXPECT_TRUE(got.ok()) << describe(got);
      EXPECT_EQ(sink.range_size, 1000u);
      EXPECT_EQ(sink.total_size, kSize);
      EXPECT_TRUE(sink.bytes == pattern_string(7, 1000, 1000));
    }
    {
      StringSink sink;
      ByteRange range{kSize - 10, std::nullopt};
      auto got = co_await store.get(key, range, sink);
      EXPECT_TRUE(got.ok()) << describe(got);
      EXPECT_TRUE(sink.bytes == pattern_string(7, kSize - 10, 10));
      if (got) {
        EXPECT_EQ(got->size, kSize);
      }
    }
    {
      StringSink sink;
      ByteRange range{kSize + 5, std::nullopt};
      auto got = co_await store.get(key, range, sink);
      EXPECT_FALSE(got.ok());
      if (!got) {
        EXPECT_EQ(got.error().code, Errc::invalid_argument) << got.error().message;
      }
      EXPECT_EQ(sink.begins, 0);
    }
  });
}

TEST_P(ObjectStoreSuite, KeysWithSpacesUnicodeAndPlus) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    std::vector<std::string> keys = {prefix + "a b+c.txt", prefix + "dir/\xC3\xBC\xC3\xB1\xC3\xAE \xE6\x97\xA5\xE6\x9C\xAC.txt",
                                     prefix + "plus+plus=eq&amp%25"};
    for (size_t i = 0; i < keys.size(); ++i) {
      StringSource src("body " + std::to_string(i));
      auto put = co_await store.put(keys[i], 6, src, PutOptions());
      EXPECT_TRUE(put.ok()) << keys[i] << " " << describe(put);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      StringSink sink;
      auto got = co_await store.get(keys[i], std::nullopt, sink);
      EXPECT_TRUE(got.ok()) << keys[i] << " " << describe(got);
      EXPECT_EQ(sink.bytes, "body " + std::to_string(i));
    }
    auto listed = co_await store.list(prefix);
    EXPECT_TRUE(listed.ok()) << describe(listed);
    if (listed) {
      std::vector<std::string> got = *listed;
      std::sort(got.begin(), got.end());
      std::vector<std::string> want = keys;
      std::sort(want.begin(), want.end());
      EXPECT_EQ(got, want);
    }
    for (const auto& k : keys) EXPECT_TRUE((co_await store.remove(k)).ok());
  });
}

TEST_P(ObjectStoreSuite, ListByPrefix) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    for (std::string name : {"x/1", "x/2", "y/1"}) {
      StringSource src("v");
      EXPECT_TRUE((co_await store.put(prefix + name, 1, src, PutOptions())).ok());
    }
    auto xs = co_await store.list(prefix + "x/");
    EXPECT_TRUE(xs.ok()) << describe(xs);
    if (xs) {
      std::vector<std::string> got = *xs;
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, (std::vector<std::string>{prefix + "x/1", prefix + "x/2"}));
    }
    auto none = co_await store.list(prefix + "nothing/");
    EXPECT_TRUE(none.ok());
    if (none) {
      EXPECT_TRUE(none->empty());
    }
  });
}

inline void ObjectStoreSuite::expect_gap(StoreGap gap) {
  with_store([gap](ObjectStore& store, std::string prefix) -> Task<void> {
    if (gap == kNoMultipartListing) {
      std::string key = prefix + "gap.bin";
      auto id = co_await store.create_multipart(key, "application/octet-stream");
      EXPECT_TRUE(id.ok());
      if (!id.ok()) co_return;
      auto parts = co_await store.list_parts(key, *id);
      auto uploads = co_await store.list_multipart_uploads(prefix);
      EXPECT_FALSE(parts.ok() && uploads.ok()) << "the peer lists multipart uploads now: drop its gap";
    } else if (gap == kKeepsAbortedPuts) {
      std::string key = prefix + "gap-short.bin";
      PatternSource shorter(1, 1000, 100);
      auto put = co_await store.put(key, 2000, shorter, PutOptions());
      EXPECT_FALSE(put.ok());
      auto head = co_await store.head(key);
      EXPECT_TRUE(head.ok()) << "the peer no longer keeps aborted PUTs: drop its gap";
    }
  });
}

TEST_P(ObjectStoreSuite, SourceOfTheWrongLengthLeavesNoObject) {
  if (has_gap(kKeepsAbortedPuts)) return expect_gap(kKeepsAbortedPuts);
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    {
      PatternSource shorter(1, 1000, 100);
      auto put = co_await store.put(prefix + "short", 2000, shorter, PutOptions());
      EXPECT_FALSE(put.ok());
      if (!put) {
        EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().message;
      }
    }
    {
      PatternSource longer(1, 3000, 100);
      auto put = co_await store.put(prefix + "long", 2000, longer, PutOptions());
      EXPECT_FALSE(put.ok());
      if (!put) {
        EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().message;
      }
    }
    for (std::string k : {"short", "long"}) {
      auto h = co_await store.head(prefix + k);
      EXPECT_FALSE(h.ok()) << k << " exists";
      if (!h) {
        EXPECT_EQ(h.error().code, Errc::not_found);
      }
    }
  });
}

TEST_P(ObjectStoreSuite, MultipartFiveMiBFiveMiBAndOneByte) {
  if (has_gap(kNoMultipartListing)) return expect_gap(kNoMultipartListing);
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    std::string key = prefix + "multi.bin";
    constexpr uint64_t kPart = 5 * 1024 * 1024;
    const uint64_t sizes[] = {kPart, kPart, 1};
    auto id = co_await store.create_multipart(key, "application/x-test");
    EXPECT_TRUE(id.ok()) << describe(id);
    if (!id) co_return;
    std::vector<PartInfo> parts;
    uint64_t offset = 0;
    for (int n = 1; n <= 3; ++n) {
      // Each part continues the same generated stream, so the object is one pattern.
      PatternSource whole(3, offset + sizes[n - 1], 256 * 1024);
      struct Skip final : ByteSource {
        PatternSource& inner;
        uint64_t skip;
        std::vector<char> held;
        Skip(PatternSource& i, uint64_t s) : inner(i), skip(s) {}
        Task<Result<std::span<const char>>> next() override {
          for (;;) {
            auto c = co_await inner.next();
            if (!c || c->empty() || skip == 0) co_return c;
            if (c->size() <= skip) {
              skip -= c->size();
              continue;
            }
            auto rest = c->subspan(skip);
            skip = 0;
            co_return rest;
          }
        }
      } src(whole, offset);
      PutOptions opts;
      opts.want_md5 = true;
      auto part = co_await store.upload_part(key, *id, n, sizes[n - 1], src, opts);
      EXPECT_TRUE(part.ok()) << "part " << n << ": " << describe(part);
      if (!part) co_return;
      EXPECT_EQ(part->number, n);
      EXPECT_EQ(part->size, sizes[n - 1]);
      parts.push_back(*part);
      offset += sizes[n - 1];
    }
    auto listed = co_await store.list_parts(key, *id);
    EXPECT_TRUE(listed.ok()) << describe(listed);
    if (listed) {
      EXPECT_EQ(listed->size(), 3u);
      for (size_t i = 0; i < listed->size() && i < 3; ++i) {
        EXPECT_EQ((*listed)[i].number, static_cast<int>(i + 1));
        EXPECT_EQ((*listed)[i].size, sizes[i]);
        EXPECT_EQ((*listed)[i].etag, parts[i].etag);
      }
    }
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok()) << describe(uploads);
    if (uploads) {
      EXPECT_EQ(uploads->size(), 1u);
      if (!uploads->empty()) {
        EXPECT_EQ(uploads->front().upload_id, *id);
      }
    }
    auto etag = co_await store.complete_multipart(key, *id, parts);
    EXPECT_TRUE(etag.ok()) << describe(etag);
    PatternCheckSink check(3, 0);
    auto got = co_await store.get(key, std::nullopt, check);
    EXPECT_TRUE(got.ok()) << describe(got);
    if (got) {
      EXPECT_EQ(got->size, 2 * kPart + 1);
    }
    EXPECT_EQ(check.received, 2 * kPart + 1);
    EXPECT_EQ(check.mismatch_at, -1);
    auto after = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(after.ok());
    if (after) {
      EXPECT_TRUE(after->empty());
    }
  });
}

TEST_P(ObjectStoreSuite, AbortLeavesNothingBehind) {
  if (has_gap(kNoMultipartListing)) return expect_gap(kNoMultipartListing);
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    std::string key = prefix + "aborted.bin";
    auto id = co_await store.create_multipart(key, "application/octet-stream");
    EXPECT_TRUE(id.ok()) << describe(id);
    if (!id) co_return;
    PatternSource src(4, 5 * 1024 * 1024);
    auto part = co_await store.upload_part(key, *id, 1, 5 * 1024 * 1024, src, PutOptions());
    EXPECT_TRUE(part.ok()) << describe(part);
    auto st = co_await store.abort_multipart(key, *id);
    EXPECT_TRUE(st.ok()) << describe(st);
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok()) << describe(uploads);
    if (uploads) {
      EXPECT_TRUE(uploads->empty());
    }
    auto parts = co_await store.list_parts(key, *id);
    EXPECT_FALSE(parts.ok());
    if (!parts) {
      EXPECT_EQ(parts.error().code, Errc::not_found) << parts.error().message;
    }
    auto h = co_await store.head(key);
    EXPECT_FALSE(h.ok());
  });
}

TEST_P(ObjectStoreSuite, LargePutStreamsAndReadsBack) {
  bool can_list_uploads = !has_gap(kNoMultipartListing);
  with_store([can_list_uploads](ObjectStore& store, std::string prefix) -> Task<void> {
    std::string key = prefix + "large.bin";
    constexpr uint64_t kSize = 11 * 1024 * 1024 + 3;
    PatternSource src(9, kSize, 100 * 1000);  // chunks straddle part boundaries
    PutOptions opts;
    opts.want_sha256 = true;
    auto put = co_await store.put(key, kSize, src, opts);
    EXPECT_TRUE(put.ok()) << describe(put);
    if (!put) co_return;
    EXPECT_EQ(put->size, kSize);
    EXPECT_EQ(put->sha256_hex.size(), 64u);
    PatternCheckSink check(9, 0);
    auto got = co_await store.get(key, std::nullopt, check);
    EXPECT_TRUE(got.ok()) << describe(got);
    EXPECT_EQ(check.received, kSize);
    EXPECT_EQ(check.mismatch_at, -1);
    if (!can_list_uploads) co_return;
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok());
    if (uploads) {
      EXPECT_TRUE(uploads->empty());
    }
  });
}

// ---------------------------------------------------------------- bodies of unknown length

TEST_P(ObjectStoreSuite, UnknownSizeSmallBodies) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    {
      StringSource src("");
      PutOptions opts;
      opts.content_type = "text/plain";
      opts.want_md5 = true;
      auto put = co_await store.put_unknown_size(prefix + "empty", 1000, src, opts);
      EXPECT_TRUE(put.ok()) << describe(put);
      if (!put) co_return;
      EXPECT_EQ(put->size, 0u);
      EXPECT_EQ(put->md5_hex, "d41d8cd98f00b204e9800998ecf8427e");
      StringSink sink;
      auto got = co_await store.get(prefix + "empty", std::nullopt, sink);
      EXPECT_TRUE(got.ok()) << describe(got);
      EXPECT_EQ(sink.total_size, 0u);
      EXPECT_TRUE(sink.bytes.empty());
      EXPECT_EQ(sink.content_type, "text/plain");
    }
    {
      StringSource src("x");
      PutOptions opts;
      opts.want_sha256 = true;
      // A limit of exactly the body's size is not exceeded.
      auto put = co_await store.put_unknown_size(prefix + "one", 1, src, opts);
      EXPECT_TRUE(put.ok()) << describe(put);
      if (!put) co_return;
      EXPECT_EQ(put->size, 1u);
      EXPECT_FALSE(put->etag.empty());
      EXPECT_EQ(put->sha256_hex, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
      EXPECT_TRUE(put->md5_hex.empty());
      StringSink sink;
      EXPECT_TRUE((co_await store.get(prefix + "one", std::nullopt, sink)).ok());
      EXPECT_EQ(sink.bytes, "x");
      auto head = co_await store.head(prefix + "one");
      EXPECT_TRUE(head.ok()) << describe(head);
      if (head) {
        EXPECT_EQ(head->size, 1u);
        EXPECT_EQ(head->etag, put->etag);
      }
    }
  });
}

TEST_P(ObjectStoreSuite, UnknownSizeFiveMiBAndOne) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    constexpr uint64_t kSize = 5 * 1024 * 1024 + 1;
    PatternSource src(21, kSize, 100 * 1000);
    PutOptions opts;
    opts.want_md5 = true;
    auto put = co_await store.put_unknown_size(prefix + "five", 100 * 1024 * 1024, src, opts);
    EXPECT_TRUE(put.ok()) << describe(put);
    if (!put) co_return;
    EXPECT_EQ(put->size, kSize);
    EXPECT_EQ(put->md5_hex.size(), 32u);
    PatternCheckSink check(21, 0);
    auto got = co_await store.get(prefix + "five", std::nullopt, check);
    EXPECT_TRUE(got.ok()) << describe(got);
    EXPECT_EQ(check.received, kSize);
    EXPECT_EQ(check.mismatch_at, -1);
  });
}

// With 5 MiB parts (the S3 test configuration) 11 MiB + 3 crosses two part boundaries, and the
// source's chunks straddle them.
TEST_P(ObjectStoreSuite, UnknownSizeAcrossParts) {
  bool can_list_uploads = !has_gap(kNoMultipartListing);
  with_store([can_list_uploads](ObjectStore& store, std::string prefix) -> Task<void> {
    constexpr uint64_t kSize = 11 * 1024 * 1024 + 3;
    PatternSource src(22, kSize, 300 * 1000);
    PatternSource reference(22, kSize, 1 << 20);
    PutOptions opts;
    opts.content_type = "application/x-parts";
    opts.want_md5 = true;
    opts.want_sha256 = true;
    auto put = co_await store.put_unknown_size(prefix + "eleven", 64 * 1024 * 1024, src, opts);
    EXPECT_TRUE(put.ok()) << describe(put);
    if (!put) co_return;
    EXPECT_EQ(put->size, kSize);
    // The digests cover the whole body, as a put of known size computes them.
    auto known = co_await store.put(prefix + "reference", kSize, reference, opts);
    EXPECT_TRUE(known.ok()) << describe(known);
    if (known) {
      EXPECT_EQ(put->md5_hex, known->md5_hex);
      EXPECT_EQ(put->sha256_hex, known->sha256_hex);
    }
    PatternCheckSink check(22, 0);
    auto got = co_await store.get(prefix + "eleven", std::nullopt, check);
    EXPECT_TRUE(got.ok()) << describe(got);
    if (got) {
      EXPECT_EQ(got->size, kSize);
      EXPECT_EQ(got->content_type, "application/x-parts");
    }
    EXPECT_EQ(check.received, kSize);
    EXPECT_EQ(check.mismatch_at, -1);
    if (!can_list_uploads) co_return;
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok()) << describe(uploads);
    if (uploads) {
      EXPECT_TRUE(uploads->empty());
    }
  });
}

TEST_P(ObjectStoreSuite, UnknownSizeOverLimitLeavesNothing) {
  bool can_list_uploads = !has_gap(kNoMultipartListing);
  if (has_gap(kKeepsAbortedPuts)) return expect_gap(kKeepsAbortedPuts);
  with_store([can_list_uploads](ObjectStore& store, std::string prefix) -> Task<void> {
    struct Case {
      std::string name;
      uint64_t size;
      uint64_t limit;
    };
    std::vector<Case> cases;
    cases.push_back(Case{"small", 1001, 1000});               // within the first part
    cases.push_back(Case{"zero", 1, 0});                      // nothing allowed at all
    cases.push_back(Case{"parts", 12 * 1024 * 1024, 11 * 1024 * 1024});  // after parts were sent
    for (const Case& c : cases) {
      PatternSource src(23, c.size, 256 * 1024);
      auto put = co_await store.put_unknown_size(prefix + c.name, c.limit, src, PutOptions());
      EXPECT_FALSE(put.ok()) << c.name;
      if (!put) {
        EXPECT_EQ(put.error().code, Errc::limit_exceeded) << c.name << ": " << put.error().message;
      }
      auto h = co_await store.head(prefix + c.name);
      EXPECT_FALSE(h.ok()) << c.name << " exists";
    }
    auto listed = co_await store.list(prefix);
    EXPECT_TRUE(listed.ok()) << describe(listed);
    if (listed) {
      EXPECT_TRUE(listed->empty());
    }
    if (!can_list_uploads) co_return;
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok()) << describe(uploads);
    if (uploads) {
      EXPECT_TRUE(uploads->empty()) << uploads->size() << " multipart uploads left";
    }
  });
}

// A source that fails part-way (a client gone mid-body) leaves nothing either.
TEST_P(ObjectStoreSuite, UnknownSizeSourceErrorLeavesNothing) {
  bool can_list_uploads = !has_gap(kNoMultipartListing);
  if (has_gap(kKeepsAbortedPuts)) return expect_gap(kKeepsAbortedPuts);
  with_store([can_list_uploads](ObjectStore& store, std::string prefix) -> Task<void> {
    struct Failing final : ByteSource {
      PatternSource inner{24, 7 * 1024 * 1024, 512 * 1024};
      Task<Result<std::span<const char>>> next() override {
        auto c = co_await inner.next();
        if (c && c->empty()) co_return Error(Errc::closed, "client went away");
        co_return c;
      }
    };
    for (uint64_t stop : {uint64_t{0}, uint64_t{1}}) {
      Failing src;
      std::string key = prefix + "failing" + std::to_string(stop);
      if (stop == 0) src.inner = PatternSource(24, 1000, 100);  // fails within the first part
      auto put = co_await store.put_unknown_size(key, 64 * 1024 * 1024, src, PutOptions());
      EXPECT_FALSE(put.ok());
      if (!put) {
        EXPECT_EQ(put.error().code, Errc::closed) << put.error().message;
      }
      auto h = co_await store.head(key);
      EXPECT_FALSE(h.ok()) << key << " exists";
    }
    if (!can_list_uploads) co_return;
    auto uploads = co_await store.list_multipart_uploads(prefix);
    EXPECT_TRUE(uploads.ok()) << describe(uploads);
    if (uploads) {
      EXPECT_TRUE(uploads->empty());
    }
  });
}

TEST_P(ObjectStoreSuite, PresignExpiryBounds) {
  with_store([](ObjectStore& store, std::string prefix) -> Task<void> {
    int64_t now = 1700000000;
    auto ok = store.presign(PresignMethod::get, prefix + "k", "", 0, 3600, now);
    EXPECT_TRUE(ok.ok()) << describe(ok);
    if (ok) {
      EXPECT_EQ(ok->method, "GET");
      EXPECT_EQ(ok->expires_at_unix, now + 3600);
      EXPECT_FALSE(ok->url.empty());
    }
    for (int64_t bad : {int64_t{0}, int64_t{59}, int64_t{604801}}) {
      auto r = store.presign(PresignMethod::put, prefix + "k", "", 0, bad, now);
      EXPECT_FALSE(r.ok()) << bad;
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_NE(r.error().message.find("expir"), std::string::npos) << r.error().message;
      }
    }
    co_return;
  });
}

}  // namespace sluice::testing
