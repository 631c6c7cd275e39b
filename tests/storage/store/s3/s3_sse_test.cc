// S3 server-side encryption against moto: SSE-S3 and SSE-KMS headers on single PUTs and on
// CreateMultipartUpload, and HEAD refusing an object stored otherwise than configured (without
// encryption, or under another KMS key). moto keeps whatever KMS key id it is sent without
// checking that the key exists, so "a wrong key id" shows up as a HEAD mismatch, not a PUT refusal.
#include <gtest/gtest.h>

#include "storage/store/s3/s3_store.h"
#include "tests/storage/store/s3/s3_test_env.h"
#include "tests/storage/store/store_test_streams.h"
#include "tests/support/reactor_fixture.h"

namespace sluice::testing {
namespace {

S3StoreOptions sse_options(const std::string& url, std::string sse, std::string kms_key) {
  S3StoreOptions o = test_s3_options(url, "sluice-sse", env_or("AWS_ACCESS_KEY_ID", "testing"),
                                     env_or("AWS_SECRET_ACCESS_KEY", "testing"));
  o.sse = std::move(sse);
  o.sse_kms_key_id = std::move(kms_key);
  return o;
}

// Runs body(store configured as given, store without SSE) against moto.
template <class F>
void with_stores(std::string sse, std::string kms_key, F body) {
  auto url = moto_url();
  if (!url) return;
  std::string u = *url;
  run_reactor([u, sse, kms_key, body](Reactor& r) -> Task<void> {
    auto sealed = S3Store::create(r, sse_options(u, sse, kms_key));
    auto plain = S3Store::create(r, sse_options(u, "", ""));
    EXPECT_TRUE(sealed.ok() && plain.ok());
    if (!sealed.ok() || !plain.ok()) co_return;
    auto made = co_await (*plain)->create_bucket();
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
    if (made) co_await body(**sealed, **plain);
    co_await (*sealed)->shutdown();
    co_await (*plain)->shutdown();
  });
}

Task<Status> put_pattern(ObjectStore& store, std::string key, uint64_t size) {
  PatternSource src(1, size);
  PutOptions opts;
  auto r = co_await store.put(std::move(key), size, src, opts);
  co_return r.ok() ? Status() : Status(std::move(r).error());
}

std::string unique(const std::string& name) {
  return name + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

TEST(S3Sse, AES256OnPutsAndMultipartAndCheckedOnHead) {
  with_stores("AES256", "", [](S3Store& sealed, S3Store& plain) -> Task<void> {
    std::string small = unique("sse/small"), big = unique("sse/big"), bare = unique("sse/bare");
    EXPECT_TRUE((co_await put_pattern(sealed, small, 1000)).ok());
    EXPECT_TRUE((co_await put_pattern(sealed, big, 5 * s3::kMiB + 1)).ok());  // multipart at this threshold
    for (const std::string& key : {small, big}) {
      auto h = co_await sealed.head(key);
      EXPECT_TRUE(h.ok()) << key << ": " << (h ? "" : h.error().message);
    }
    EXPECT_TRUE((co_await put_pattern(plain, bare, 10)).ok());
    auto h = co_await sealed.head(bare);
    EXPECT_FALSE(h.ok());
    if (!h) {
      EXPECT_EQ(h.error().code, Errc::internal);
      EXPECT_NE(h.error().message.find("not the configured 'AES256'"), std::string::npos) << h.error().message;
    }
    EXPECT_TRUE((co_await plain.head(small)).ok());  // without SSE configured nothing is checked
  });
}

TEST(S3Sse, KmsKeyIdIsSentAndAnotherKeyIsAMismatch) {
  std::vector<std::string> written;  // under key a; the lambdas outlive no run_reactor
  auto* out = &written;
  with_stores("aws:kms", "sluice-key-a", [out](S3Store& sealed, S3Store&) -> Task<void> {
    out->push_back(unique("sse/kms-a"));
    out->push_back(unique("sse/kms-a-big"));
    EXPECT_TRUE((co_await put_pattern(sealed, (*out)[0], 100)).ok());
    EXPECT_TRUE((co_await put_pattern(sealed, (*out)[1], 5 * s3::kMiB + 1)).ok());  // multipart
    for (const std::string& k : *out) {
      auto h = co_await sealed.head(k);
      EXPECT_TRUE(h.ok()) << k << ": " << (h ? "" : h.error().message);
    }
  });
  ASSERT_EQ(written.size(), 2u);
  // A store configured with another key id: its own objects pass, key a's are refused on HEAD.
  with_stores("aws:kms", "sluice-key-b", [out](S3Store& other, S3Store&) -> Task<void> {
    std::string mine = unique("sse/kms-b");
    EXPECT_TRUE((co_await put_pattern(other, mine, 10)).ok());
    auto h = co_await other.head(mine);
    EXPECT_TRUE(h.ok()) << (h ? "" : h.error().message);
    for (const std::string& k : *out) {
      auto theirs = co_await other.head(k);
      EXPECT_FALSE(theirs.ok()) << k;
      if (!theirs) {
        EXPECT_NE(theirs.error().message.find("not the configured 'aws:kms' key 'sluice-key-b'"), std::string::npos)
            << theirs.error().message;
      }
    }
  });
}

TEST(S3Sse, BadSettingsAreRefusedAtCreate) {
  run_reactor([](Reactor& r) -> Task<void> {
    EXPECT_FALSE(S3Store::create(r, sse_options("http://127.0.0.1:1", "aes256", "")).ok());
    EXPECT_FALSE(S3Store::create(r, sse_options("http://127.0.0.1:1", "AES256", "key")).ok());
    co_return;
  });
}

}  // namespace
}  // namespace sluice::testing
