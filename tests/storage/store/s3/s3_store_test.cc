// S3Store against real S3 implementations: moto (SLUICE_TEST_S3_ENDPOINT, always) and s3rver
// (SLUICE_TEST_S3RVER_ENDPOINT, when set). The shared ObjectStore suite plus S3-only checks.
#include "storage/store/s3/s3_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/storage/store/object_store_suite.h"
#include "tests/storage/store/s3/s3_test_env.h"

namespace sluice::testing {
namespace {

std::unique_ptr<ObjectStore> make_store(Reactor& r, const std::optional<std::string>& url, std::string key_id,
                                        std::string secret) {
  if (!url) return nullptr;
  auto store = S3Store::create(r, test_s3_options(*url, "sluice-suite", std::move(key_id), std::move(secret)));
  if (!store) {
    ADD_FAILURE() << "S3Store::create: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

Task<Status> create_bucket(ObjectStore& store) { co_return co_await static_cast<S3Store&>(store).create_bucket(); }

// s3rver has a single owner and says BucketAlreadyExists where S3 says BucketAlreadyOwnedByYou.
Task<Status> create_s3rver_bucket(ObjectStore& store) {
  auto st = co_await static_cast<S3Store&>(store).create_bucket();
  if (!st && st.error().detail == "BucketAlreadyExists") co_return Status();
  co_return st;
}

std::vector<ObjectStoreFactory> s3_factories() {
  std::vector<ObjectStoreFactory> out;
  out.push_back({"moto",
                 [](Reactor& r) {
                   return make_store(r, moto_url(), env_or("AWS_ACCESS_KEY_ID", "testing"),
                                     env_or("AWS_SECRET_ACCESS_KEY", "testing"));
                 },
                 &create_bucket});
  if (const char* s3rver = std::getenv("SLUICE_TEST_S3RVER_ENDPOINT"); s3rver && *s3rver) {
    std::string url = s3rver;
    out.push_back({"s3rver", [url](Reactor& r) { return make_store(r, url, "S3RVER", "S3RVER"); },
                   &create_s3rver_bucket, kNoMultipartListing | kKeepsAbortedPuts});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreSuite, ::testing::ValuesIn(s3_factories()), ObjectStoreSuite::name_of);

// ---------------------------------------------------------------- S3-only: presigned URLs via curl

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/sluice-s3-" + std::to_string(::getpid()) + "-" + name;
}

bool write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  return static_cast<bool>(f);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs curl; its exit status (0 on a 2xx reply thanks to -f).
int curl(const std::string& args) {
  std::string cmd = "curl -sS -f --max-time 20 " + args;
  return std::system(cmd.c_str());
}

class S3Presign : public ::testing::Test {
 protected:
  template <class F>
  void with_moto(F body) {
    auto url = moto_url();
    if (!url) return;
    std::string u = *url;
    run_reactor([u, body](Reactor& r) -> Task<void> {
      auto store = S3Store::create(r, test_s3_options(u, "sluice-presign", env_or("AWS_ACCESS_KEY_ID", "testing"),
                                                       env_or("AWS_SECRET_ACCESS_KEY", "testing")));
      EXPECT_TRUE(store.ok());
      if (!store) co_return;
      auto st = co_await (*store)->create_bucket();
      EXPECT_TRUE(st.ok()) << (st ? "" : st.error().message);
      if (st) co_await body(**store);
      co_await (*store)->shutdown();
    });
  }
};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST_F(S3Presign, CurlPutsAndGetsThroughPresignedUrls) {
  with_moto([](S3Store& store) -> Task<void> {
    std::string key = "presigned/a b+c \xC3\xBC-" + std::to_string(unix_now()) + ".txt";
    std::string data = "uploaded by curl through a presigned URL\n";
    std::string in = temp_path("in");
    std::string out = temp_path("out");
    EXPECT_TRUE(write_file(in, data));
    auto put = store.presign(PresignMethod::put, key, "", 0, 300, unix_now());
    EXPECT_TRUE(put.ok());
    if (!put) co_return;
    EXPECT_EQ(put->method, "PUT");
    EXPECT_EQ(curl("-X PUT --upload-file '" + in + "' '" + put->url + "'"), 0) << put->url;
    StringSink sink;
    auto got = co_await store.get(key, std::nullopt, sink);
    EXPECT_TRUE(got.ok()) << (got ? "" : got.error().message);
    EXPECT_EQ(sink.bytes, data);

    auto get = store.presign(PresignMethod::get, key, "", 0, 60, unix_now());
    EXPECT_TRUE(get.ok());
    if (!get) co_return;
    EXPECT_EQ(curl("-o '" + out + "' '" + get->url + "'"), 0) << get->url;
    EXPECT_EQ(read_file(out), data);
    // (moto does not check presigned signatures, so a tampered URL is not tested here.)
    std::remove(in.c_str());
    std::remove(out.c_str());
  });
}

TEST_F(S3Presign, CurlUploadsAPartThroughAPresignedUrl) {
  with_moto([](S3Store& store) -> Task<void> {
    std::string key = "presigned/part-" + std::to_string(unix_now());
    auto id = co_await store.create_multipart(key, "text/plain");
    EXPECT_TRUE(id.ok());
    if (!id) co_return;
    std::string data = "the only part";
    std::string in = temp_path("part");
    EXPECT_TRUE(write_file(in, data));
    auto url = store.presign(PresignMethod::upload_part, key, *id, 1, 300, unix_now());
    EXPECT_TRUE(url.ok());
    if (!url) co_return;
    EXPECT_EQ(curl("-X PUT --upload-file '" + in + "' '" + url->url + "'"), 0) << url->url;
    auto parts = co_await store.list_parts(key, *id);
    EXPECT_TRUE(parts.ok());
    if (!parts) co_return;
    EXPECT_EQ(parts->size(), 1u);
    auto etag = co_await store.complete_multipart(key, *id, *parts);
    EXPECT_TRUE(etag.ok()) << (etag ? "" : etag.error().message);
    StringSink sink;
    EXPECT_TRUE((co_await store.get(key, std::nullopt, sink)).ok());
    EXPECT_EQ(sink.bytes, data);
    std::remove(in.c_str());
  });
}

TEST_F(S3Presign, CreateBucketTwiceAndMissingKeysLeaveNoConnectionLent) {
  with_moto([](S3Store& store) -> Task<void> {
    EXPECT_TRUE((co_await store.create_bucket()).ok());
    for (int i = 0; i < 5; ++i) {
      auto h = co_await store.head("no-such-key");
      EXPECT_FALSE(h.ok());
      if (!h) {
        EXPECT_EQ(h.error().code, Errc::not_found);
      }
    }
    // Connections come back to the pool only when their reply ended cleanly with keep-alive
    // (moto's server closes after each reply, so none is kept here); none is left lent out.
    EXPECT_LE(store.pool().total(), 1u);
  });
}

}  // namespace
}  // namespace sluice::testing
