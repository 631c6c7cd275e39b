// End to end: tus 1.0 through the real service against both stores (a local directory and
// moto's S3): every status the protocol defines (412, 409, 460, 423, 410, 413, 507, 415, 400),
// unaligned chunks cut into equal parts by position, tail segments, deferred length with the
// empty final PATCH, creation-with-upload, X-HTTP-Method-Override, termination and expiry.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "storage/service/uploads/tus/tus_metadata.h"
#include "tests/storage/multipart_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::error_code;
using testing::json_int;
using testing::json_str;
using testing::kMiB;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::RawResponse;
using testing::token_for;
using testing::with_mpu_env;

class TusApi : public ::testing::TestWithParam<std::string> {};

constexpr const char* kTus = "Tus-Resumable: 1.0.0\r\n";
constexpr const char* kStream = "Content-Type: application/offset+octet-stream\r\n";

std::string b64(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string digest_b64(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
  return b64(std::string_view(reinterpret_cast<const char*>(out), n));
}

std::string id_of(const RawResponse& r) {
  std::string loc = r.header("location");
  size_t slash = loc.rfind('/');
  return slash == std::string::npos ? std::string() : loc.substr(slash + 1);
}

Task<RawResponse> create(MpuEnv& env, std::string tok, std::string headers, std::string body = "") {
  co_return co_await env.req("POST", "/v1/tus", tok, std::move(body), kTus + headers);
}

Task<RawResponse> patch(MpuEnv& env, std::string tok, std::string id, uint64_t offset, std::string body,
                        std::string extra = "") {
  std::string h = std::string(kTus) + kStream + "Upload-Offset: " + std::to_string(offset) + "\r\n" + extra;
  co_return co_await env.req("PATCH", "/v1/tus/" + id, tok, std::move(body), h);
}

Task<RawResponse> head(MpuEnv& env, std::string tok, std::string id) {
  RawResponse out;
  out.status = -1;
  auto c = co_await RawHttpClient::connect(env.r, env.port());
  if (!c.ok()) co_return out;
  (void)co_await (*c)->send("HEAD /v1/tus/" + id + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok + "\r\n" +
                            kTus + "\r\n");
  auto r = co_await (*c)->read_response(10s, true);
  co_await (*c)->close();
  if (r.ok()) out = std::move(*r);
  co_return out;
}

Task<int64_t> tail_objects(MpuEnv& env) {
  auto l = co_await env.store->list("u/");
  int64_t n = 0;
  if (l.ok())
    for (const std::string& k : *l) n += k.find(".tus/") != std::string::npos;
  co_return n;
}

Task<void> expect_download(MpuEnv& env, std::string tok, std::string file_id, const std::string& content) {
  auto down = co_await env.req("GET", "/v1/files/" + file_id + "/content", tok);
  EXPECT_EQ(down.status, 200) << down.body;
  EXPECT_EQ(down.body.size(), content.size());
  EXPECT_TRUE(down.body == content) << "downloaded bytes differ";
}

// Sends `content` in `chunk`-byte PATCHes; returns the file id from the last one.
Task<std::string> send_all(MpuEnv& env, std::string tok, std::string id, const std::string& content, size_t chunk,
                           size_t from = 0) {
  std::string file;
  for (size_t off = from; off < content.size(); off += chunk) {
    std::string piece = content.substr(off, chunk);
    auto r = co_await patch(env, tok, id, off, piece);
    EXPECT_EQ(r.status, 204) << "at " << off << ": " << r.body;
    EXPECT_EQ(r.header("upload-offset"), std::to_string(off + piece.size()));
    EXPECT_FALSE(r.header("upload-expires").empty());
    bool last = off + piece.size() == content.size();
    EXPECT_EQ(r.header("sluice-file-id").empty(), !last);
    if (last) file = r.header("sluice-file-id");
    if (r.status != 204) break;
  }
  co_return file;
}

TEST_P(TusApi, OptionsAdvertiseTheServer) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("alice"));
    auto r = co_await env.req("OPTIONS", "/v1/tus", tok);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("tus-version"), "1.0.0");
    EXPECT_EQ(r.header("tus-extension"),
              "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration");
    EXPECT_EQ(r.header("tus-checksum-algorithm"), "sha1,md5,sha256");
    EXPECT_EQ(r.header("tus-max-size"), "104857600");  // the free tier's largest file
  });
}

TEST_P(TusApi, UnalignedChunksBecomeEqualPartsByteExact) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    std::string content = pattern_bytes(2 * 8 * kMiB + 1000, 7);  // the default part size is 8 MiB
    std::string meta = "filename " + b64("movie.bin") + ",filetype " + b64("video/mp4") + ",path " + b64("/clips");
    auto c = co_await create(env, tok, "Upload-Length: " + std::to_string(content.size()) + "\r\nUpload-Metadata: " +
                                           meta + "\r\n");
    EXPECT_EQ(c.status, 201) << c.body;
    EXPECT_EQ(c.header("tus-resumable"), "1.0.0");
    EXPECT_EQ(c.header("upload-offset"), "0");
    EXPECT_FALSE(c.header("upload-expires").empty());
    std::string id = id_of(c);
    EXPECT_EQ(co_await env.reserved(alice), static_cast<int64_t>(content.size()) + 1);
    // 3 MiB chunks: parts end inside chunks; the pieces between are tail segments.
    size_t chunk = 3 * kMiB;
    std::string first = content.substr(0, chunk);
    auto p1 = co_await patch(env, tok, id, 0, first);
    EXPECT_EQ(p1.status, 204) << p1.body;
    EXPECT_EQ(co_await tail_objects(env), 1);
    auto h = co_await head(env, tok, id);
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.header("upload-offset"), std::to_string(chunk));
    EXPECT_EQ(h.header("upload-length"), std::to_string(content.size()));
    EXPECT_EQ(h.header("upload-metadata"), meta);
    EXPECT_EQ(h.header("cache-control"), "no-store");
    std::string file = co_await send_all(env, tok, id, content, chunk, chunk);
    EXPECT_FALSE(file.empty());
    co_await expect_download(env, tok, file, content);
    // Equal parts cut by position, whatever the chunks were.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.upload_parts WHERE upload_id = '" + id +
                                  "' AND size = " + std::to_string(8 * kMiB)),
              2);
    EXPECT_EQ(co_await env.scalar("SELECT size FROM sluice.upload_parts WHERE upload_id = '" + id +
                                  "' AND part_number = 3"),
              1000);
    EXPECT_EQ(co_await env.text("SELECT name || ' ' || path || ' ' || content_type FROM sluice.files WHERE id = '" +
                                file + "'"),
              "movie.bin /clips video/mp4");
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 1);
    EXPECT_EQ(co_await tail_objects(env), 0);
    EXPECT_EQ(co_await env.reserved(alice), 0);
    EXPECT_EQ(co_await env.leases_of(alice), 0);
    EXPECT_EQ(co_await env.store_uploads(), 0);
    auto after = co_await head(env, tok, id);
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.header("sluice-file-id"), file);
    EXPECT_EQ(after.header("upload-offset"), std::to_string(content.size()));
  });
}

TEST_P(TusApi, ProtocolRefusals) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    auto bad_version = co_await env.req("POST", "/v1/tus", tok, "", "Upload-Length: 10\r\nTus-Resumable: 0.2.2\r\n");
    EXPECT_EQ(bad_version.status, 412);
    EXPECT_EQ(bad_version.header("tus-version"), "1.0.0");
    EXPECT_EQ((co_await create(env, tok, "")).status, 400);  // neither length nor defer
    EXPECT_EQ((co_await create(env, tok, "Upload-Defer-Length: 2\r\n")).status, 400);
    EXPECT_EQ((co_await create(env, tok, "Upload-Length: 10\r\nUpload-Metadata: filename !!\r\n")).status, 400);
    auto concat = co_await create(env, tok, "Upload-Concat: partial\r\nUpload-Length: 10\r\n");
    EXPECT_EQ(concat.status, 400);
    EXPECT_EQ(error_code(concat.body), "concatenation_unsupported");
    auto big = co_await create(env, tok, "Upload-Length: " + std::to_string(200 * kMiB) + "\r\n");
    EXPECT_EQ(big.status, 413) << big.body;
    (void)co_await env.scalar("UPDATE sluice.accounts SET quota_bytes_override = 1000 WHERE user_id = '" + alice +
                              "' RETURNING 0");
    auto full = co_await create(env, tok, "Upload-Length: 5000\r\n");
    EXPECT_EQ(full.status, 507) << full.body;
    (void)co_await env.scalar("UPDATE sluice.accounts SET quota_bytes_override = NULL WHERE user_id = '" + alice +
                              "' RETURNING 0");
    EXPECT_EQ(co_await env.reserved(alice), 0);

    auto c = co_await create(env, tok, "Upload-Length: 100\r\n");
    EXPECT_EQ(c.status, 201) << c.body;
    std::string id = id_of(c);
    auto wrong_type = co_await env.req("PATCH", "/v1/tus/" + id, tok, "abc",
                                       std::string(kTus) + "Upload-Offset: 0\r\nContent-Type: text/plain\r\n");
    EXPECT_EQ(wrong_type.status, 415);
    auto ahead = co_await patch(env, tok, id, 5, "abc");
    EXPECT_EQ(ahead.status, 409);
    EXPECT_EQ(error_code(ahead.body), "offset_mismatch");
    auto too_long = co_await patch(env, tok, id, 0, std::string(101, 'x'));
    EXPECT_EQ(too_long.status, 413);
    auto missing = co_await head(env, tok, "00000000-0000-4000-8000-000000000000");
    EXPECT_EQ(missing.status, 404);
    auto other = co_await head(env, token_for(env.user("bob")), id);
    EXPECT_EQ(other.status, 404);  // another user's upload does not exist for bob
  });
}

TEST_P(TusApi, ChecksumMismatchIs460AndTheChunkIsNotCounted) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("alice"));
    // 9 MiB + 10: the first chunk crosses the 8 MiB part boundary, so a part and a segment roll back.
    std::string content = pattern_bytes(9 * kMiB + 10, 3);
    auto c = co_await create(env, tok, "Upload-Length: " + std::to_string(content.size()) + "\r\n");
    std::string id = id_of(c);
    std::string a = content.substr(0, 8 * kMiB + 5), b = content.substr(a.size());
    auto unknown = co_await patch(env, tok, id, 0, a, "Upload-Checksum: crc32 AAAA\r\n");
    EXPECT_EQ(unknown.status, 400);
    auto wrong = co_await patch(env, tok, id, 0, a, "Upload-Checksum: sha1 " + digest_b64(EVP_sha1(), b) + "\r\n");
    EXPECT_EQ(wrong.status, 460) << wrong.body;
    auto h = co_await head(env, tok, id);
    EXPECT_EQ(h.header("upload-offset"), "0");
    EXPECT_EQ(co_await tail_objects(env), 0);
    auto ok = co_await patch(env, tok, id, 0, a, "Upload-Checksum: sha256 " + digest_b64(EVP_sha256(), a) + "\r\n");
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(ok.header("upload-offset"), std::to_string(a.size()));
    auto last = co_await patch(env, tok, id, a.size(), b, "Upload-Checksum: md5 " + digest_b64(EVP_md5(), b) + "\r\n");
    EXPECT_EQ(last.status, 204) << last.body;
    EXPECT_FALSE(last.header("sluice-file-id").empty());
    co_await expect_download(env, tok, last.header("sluice-file-id"), content);
  });
}

TEST_P(TusApi, OnePatchAtATime) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    std::string content = pattern_bytes(1000, 5);
    auto c = co_await create(env, tok, "Upload-Length: 1000\r\n");
    std::string id = id_of(c);
    int64_t leases_before = co_await env.leases_of(alice);
    // A PATCH whose body stops half-way holds the upload's lock...
    auto slow = co_await RawHttpClient::connect(env.r, env.port());
    EXPECT_TRUE(slow.ok());
    (void)co_await (*slow)->send("PATCH /v1/tus/" + id + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                                 "\r\n" + kTus + kStream + "Upload-Offset: 0\r\nContent-Length: 1000\r\n\r\n" +
                                 content.substr(0, 400));
    // ...once it is admitted (its part lease is in Redis: before that, a second PATCH could take
    // the lock itself and finish the upload, as it did under ASan)...
    for (int i = 0; i < 1000 && co_await env.leases_of(alice) <= leases_before; ++i)
      co_await SleepUntil(env.r, deadline_after(std::chrono::milliseconds(5)));
    EXPECT_GT(co_await env.leases_of(alice), leases_before) << "the half-sent PATCH never took the upload's lock";
    // ...so a second one is refused with 423, and HEAD still answers.
    RawResponse second;
    for (int i = 0; i < 200; ++i) {
      second = co_await patch(env, tok, id, 0, content);
      if (second.status == 423) break;
    }
    EXPECT_EQ(second.status, 423) << second.body;
    EXPECT_EQ((co_await head(env, tok, id)).status, 200);
    // The first client vanishes: its connection's end frees the lock, and the upload resumes.
    co_await (*slow)->close();
    RawResponse retry;
    for (int i = 0; i < 200; ++i) {
      auto h = co_await head(env, tok, id);
      uint64_t at = std::stoull(h.header("upload-offset").empty() ? "0" : h.header("upload-offset"));
      retry = co_await patch(env, tok, id, at, content.substr(at));
      if (retry.status == 204) break;
    }
    EXPECT_EQ(retry.status, 204) << retry.body;
    co_await expect_download(env, tok, retry.header("sluice-file-id"), content);
  });
}

TEST_P(TusApi, DeferredLengthEndsWithAnEmptyPatch) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    std::string content = pattern_bytes(6000, 9);
    auto c = co_await create(env, tok, "Upload-Defer-Length: 1\r\n");
    EXPECT_EQ(c.status, 201) << c.body;
    std::string id = id_of(c);
    EXPECT_EQ(co_await env.reserved(alice), 100 * static_cast<int64_t>(kMiB) + 1);  // the tier's largest file
    auto h = co_await head(env, tok, id);
    EXPECT_EQ(h.header("upload-defer-length"), "1");
    EXPECT_EQ(h.header("upload-length"), "");
    auto p = co_await patch(env, tok, id, 0, content);
    EXPECT_EQ(p.status, 204) << p.body;
    EXPECT_EQ(p.header("sluice-file-id"), "");
    auto below = co_await patch(env, tok, id, 6000, "", "Upload-Length: 10\r\n");
    EXPECT_EQ(below.status, 400) << below.body;
    auto end = co_await patch(env, tok, id, 6000, "", "Upload-Length: 6000\r\n");
    EXPECT_EQ(end.status, 204) << end.body;
    EXPECT_FALSE(end.header("sluice-file-id").empty());
    co_await expect_download(env, tok, end.header("sluice-file-id"), content);
    EXPECT_EQ(co_await env.reserved(alice), 0);
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + alice + "'"), 6000);
  });
}

TEST_P(TusApi, CreationWithUploadOverrideAndEmptyFile) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string tok = token_for(env.user("alice"));
    std::string content = pattern_bytes(3000, 11);
    auto c = co_await create(env, tok, std::string("Upload-Length: 3000\r\n") + kStream, content.substr(0, 1000));
    EXPECT_EQ(c.status, 201) << c.body;
    EXPECT_EQ(c.header("upload-offset"), "1000");
    std::string id = id_of(c);
    auto o = co_await env.req("POST", "/v1/tus/" + id, tok, content.substr(1000),
                              std::string(kTus) + kStream + "Upload-Offset: 1000\r\nX-HTTP-Method-Override: PATCH\r\n");
    EXPECT_EQ(o.status, 204) << o.body;
    co_await expect_download(env, tok, o.header("sluice-file-id"), content);
    auto empty = co_await create(env, tok, "Upload-Length: 0\r\nUpload-Metadata: filename " + b64("empty.txt") + "\r\n");
    EXPECT_EQ(empty.status, 201) << empty.body;
    EXPECT_FALSE(empty.header("sluice-file-id").empty());
    co_await expect_download(env, tok, empty.header("sluice-file-id"), "");
    // The name is now taken: onConflict=fail refuses at creation, rename picks the next name.
    auto clash = co_await create(env, tok, "Upload-Length: 0\r\nUpload-Metadata: filename " + b64("empty.txt") + "\r\n");
    EXPECT_EQ(clash.status, 409) << clash.body;
    auto renamed = co_await create(env, tok, "Upload-Length: 0\r\nUpload-Metadata: filename " + b64("empty.txt") +
                                                 ",onConflict " + b64("rename") + "\r\n");
    EXPECT_EQ(renamed.status, 201) << renamed.body;
    EXPECT_EQ(co_await env.text("SELECT name FROM sluice.files WHERE id = '" + renamed.header("sluice-file-id") + "'"),
              "empty (1).txt");
  });
}

TEST_P(TusApi, TerminationAndExpiry) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> {
    std::string alice = env.user("alice"), tok = token_for(alice);
    auto c = co_await create(env, tok, "Upload-Length: 100000\r\n");
    std::string id = id_of(c);
    EXPECT_EQ((co_await patch(env, tok, id, 0, std::string(500, 'a'))).status, 204);
    auto del = co_await env.req("DELETE", "/v1/tus/" + id, tok, "", kTus);
    EXPECT_EQ(del.status, 204) << del.body;
    EXPECT_EQ((co_await head(env, tok, id)).status, 410);
    EXPECT_EQ((co_await patch(env, tok, id, 500, "b")).status, 410);
    EXPECT_EQ(co_await tail_objects(env), 0);
    EXPECT_EQ(co_await env.reserved(alice), 0);
    EXPECT_EQ(co_await env.leases_of(alice), 0);

    // Expiry: an upload idle past its Upload-Expires is aborted by the janitor; one idle only
    // past the multipart heartbeat window is not.
    auto e = co_await create(env, tok, "Upload-Length: 100000\r\n");
    auto kept = co_await create(env, tok, "Upload-Length: 100000\r\n");
    std::string eid = id_of(e), kid = id_of(kept);
    EXPECT_EQ((co_await patch(env, tok, eid, 0, std::string(500, 'a'))).status, 204);
    (void)co_await env.scalar("UPDATE sluice.uploads SET heartbeat_at = now() - interval '1 hour' RETURNING 0");
    (void)co_await env.scalar("UPDATE sluice.uploads SET expires_at = now() - interval '1 second' WHERE id = '" + eid +
                              "' RETURNING 0");
    Janitor janitor = env.janitor(15min);
    JanitorReport report = co_await janitor.run_once();
    EXPECT_EQ(report.stale_sessions, 1u);
    EXPECT_EQ((co_await head(env, tok, eid)).status, 410);
    EXPECT_EQ((co_await head(env, tok, kid)).status, 200);
    EXPECT_EQ(co_await tail_objects(env), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(Stores, TusApi, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace sluice
