// End to end with SLUICE_ENCRYPTION=on and the local store: streaming and multipart uploads land
// sealed on disk (version-2 header, no plaintext), while sizes (JSON, Content-Length, quota),
// downloads and ranges across segment boundaries are the plaintext's.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "storage/store/local/key_path.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/segment_cipher.h"
#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using testing::Initiated;
using testing::json_int;
using testing::json_str;
using testing::kMiB;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::token_for;
using testing::with_mpu_env;

class EncryptionApi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = std::filesystem::temp_directory_path() / "sluice-keys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    keys_ = tmpl;
    std::ofstream(keys_ + "/api-k1.key") << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  }
  void TearDown() override { std::filesystem::remove_all(keys_); }

  template <class F>
  void with_env(F test) {
    std::string key_file = keys_ + "/api-k1.key";
    with_mpu_env("local", std::move(test), [key_file](ServiceConfig& c) {
      c.encryption = true;
      c.master_key_file = key_file;
    });
  }
  std::string keys_;
};

// The object file of a file row, read whole (test objects are a few MiB at most).
Task<std::string> object_file_bytes(MpuEnv& env, std::string file_id) {
  std::string key = co_await env.text("SELECT object_key FROM sluice.files WHERE id = '" + file_id + "'");
  auto rel = local::object_path_for_key(key);
  EXPECT_TRUE(rel.ok());
  std::ifstream in(env.config.local_dir + "/objects/" + (rel.ok() ? *rel : ""), std::ios::binary);
  co_return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_sealed(const std::string& file, const std::string& plain) {
  EXPECT_EQ(file.substr(0, 8), "SLUICEO2");
  EXPECT_EQ(file.size(), local::kMaxObjectHeaderSize + local::sealed_body_bytes(plain.size()));
  EXPECT_EQ(file.find(plain.substr(0, 256)), std::string::npos) << "plaintext on disk";
}

TEST_F(EncryptionApi, StreamingUploadIsSealedOnDiskAndServedInPlain) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    const std::string content = pattern_bytes(3 * local::kSegmentPlainBytes + 77, 3);
    auto up = co_await env.req("PUT", "/v1/files/content?name=secret.bin", tok, content);
    EXPECT_EQ(up.status, 201) << up.body;
    std::string id = json_str(up.body, "id");
    EXPECT_EQ(json_int(up.body, "size"), static_cast<int64_t>(content.size()));
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + alice + "'"),
              static_cast<int64_t>(content.size()));
    auto down = co_await env.req("GET", "/v1/files/" + id + "/content", tok);
    EXPECT_EQ(down.status, 200);
    EXPECT_EQ(down.header("content-length"), std::to_string(content.size()));
    EXPECT_TRUE(down.body == content) << "downloaded bytes differ";
    // Across the boundary of segments 0 and 1, and the tail of the last segment.
    const uint64_t b = local::kSegmentPlainBytes;
    auto mid = co_await env.req("GET", "/v1/files/" + id + "/content", tok, "",
                                "Range: bytes=" + std::to_string(b - 5) + "-" + std::to_string(b + 4) + "\r\n");
    EXPECT_EQ(mid.status, 206);
    EXPECT_TRUE(mid.body == content.substr(b - 5, 10));
    auto tail = co_await env.req("GET", "/v1/files/" + id + "/content", tok, "", "Range: bytes=-100\r\n");
    EXPECT_EQ(tail.status, 206);
    EXPECT_EQ(tail.header("content-range"), "bytes " + std::to_string(content.size() - 100) + "-" +
                                                std::to_string(content.size() - 1) + "/" +
                                                std::to_string(content.size()));
    EXPECT_TRUE(tail.body == content.substr(content.size() - 100));
    expect_sealed(co_await object_file_bytes(env, id), content);
  });
}

TEST_F(EncryptionApi, MultipartUploadIsJoinedSealed) {
  with_env([](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    const uint64_t part = 5 * kMiB;
    const std::string content = pattern_bytes(part + 1000, 4);
    Initiated up = co_await env.initiate(tok, "big.bin", content.size(), part);
    EXPECT_EQ(up.status, 201) << up.body;
    auto p1 = co_await env.put_part(tok, up.upload_id, 1, content.substr(0, part));
    EXPECT_EQ(p1.status, 200) << p1.body;
    auto p2 = co_await env.put_part(tok, up.upload_id, 2, content.substr(part));
    EXPECT_EQ(p2.status, 200) << p2.body;
    EXPECT_EQ(json_int(p2.body, "size"), 1000);
    std::vector<std::pair<int, std::string>> parts;  // named: g++ 12 and braced temporaries in co_await
    parts.emplace_back(1, json_str(p1.body, "etag"));
    parts.emplace_back(2, json_str(p2.body, "etag"));
    auto done = co_await env.complete(tok, up.upload_id, std::move(parts));
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(json_int(done.body, "size"), static_cast<int64_t>(content.size()));
    auto down = co_await env.req("GET", "/v1/files/" + up.file_id + "/content", tok);
    EXPECT_EQ(down.status, 200);
    EXPECT_TRUE(down.body == content) << "downloaded bytes differ";
    expect_sealed(co_await object_file_bytes(env, up.file_id), content);
  });
}

}  // namespace
}  // namespace sluice
