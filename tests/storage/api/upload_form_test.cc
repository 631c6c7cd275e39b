// End to end: POST /v1/files with multipart/form-data (what browsers and `curl -F` send) on real
// PostgreSQL, Redis and each store (local, S3 on moto): files read back byte for byte, fields
// applied and stored, malformed forms refused with JSON, and every failure path keeps the files
// committed before it while leaving nothing reserved, leased or stored for the failed one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::id_in;
using testing::pattern_bytes;
using testing::RawHttpClient;
using testing::token_for;
using Env = testing::UploadEnv;

struct Part {
  std::string name;
  std::optional<std::string> filename;
  std::string type;
  std::string data;
};

Part field(std::string name, std::string value) { return Part{std::move(name), std::nullopt, "", std::move(value)}; }
Part file(std::string filename, std::string type, std::string data) {
  return Part{"file", std::move(filename), std::move(type), std::move(data)};
}

// A form body as curl and browsers format it.
std::string form(const std::string& boundary, const std::vector<Part>& parts) {
  std::string out;
  for (const Part& p : parts) {
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.filename) out += "; filename=\"" + *p.filename + "\"";
    out += "\r\n";
    if (!p.type.empty()) out += "Content-Type: " + p.type + "\r\n";
    out += "\r\n" + p.data + "\r\n";
  }
  return out + "--" + boundary + "--\r\n";
}

const std::string kBoundary = "------------------------1321a8a21ca90cf8";

class UploadForm : public ::testing::TestWithParam<std::string> {
 protected:
  template <class F>
  void with_env(F test, std::function<void(ServiceConfig&)> tweak = {}) {
    testing::with_upload_env(GetParam(), std::move(test), std::move(tweak));
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, UploadForm, ::testing::Values("local", "s3"), testing::store_name);

// The ids of the files listed in a response, in order.
std::vector<std::string> ids_in(const std::string& json) {
  std::vector<std::string> out;
  for (size_t at = json.find("\"id\":\""); at != std::string::npos; at = json.find("\"id\":\"", at + 1))
    out.push_back(json.substr(at + 6, 36));
  return out;
}

TEST_P(UploadForm, UploadsReadBackByteForByte) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("former");
    std::string tok = token_for(user);
    uint64_t total = 0;
    for (size_t size : {size_t{0}, size_t{1}, size_t{(5u << 20) + 1}, size_t{64u << 20}}) {
      std::string data = pattern_bytes(size, static_cast<unsigned>(size) + 11);
      std::vector<Part> parts;
      parts.push_back(field("path", "/forms"));
      parts.push_back(file("f" + std::to_string(size) + ".bin", "application/x-test", data));
      // The 1-byte form goes chunked: no Content-Length, so the tier's max is reserved.
      auto up = co_await env.post_form(tok, kBoundary, form(kBoundary, parts), size == 1 ? 7 : 0);
      EXPECT_TRUE(up.ok());
      if (!up.ok()) co_return;
      EXPECT_EQ(up->status, 201) << up->body.substr(0, 500);
      EXPECT_EQ(up->body.rfind("{\"files\":[{", 0), 0u) << up->body;
      EXPECT_NE(up->body.find("\"size\":" + std::to_string(size) + ","), std::string::npos) << up->body;
      EXPECT_NE(up->body.find("\"name\":\"f" + std::to_string(size) + ".bin\""), std::string::npos) << up->body;
      EXPECT_NE(up->body.find("\"path\":\"/forms\""), std::string::npos) << up->body;
      EXPECT_NE(up->body.find("\"status\":\"available\""), std::string::npos) << up->body;
      std::string id = id_in(up->body);
      auto down = co_await env.get(tok, "/v1/files/" + id + "/content");
      EXPECT_TRUE(down.ok());
      if (!down.ok()) co_return;
      EXPECT_EQ(down->status, 200);
      EXPECT_EQ(down->header("content-type"), "application/x-test");
      EXPECT_TRUE(down->body == data) << "content differs for size " << size;
      total += size;
    }
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), static_cast<int64_t>(total));
    EXPECT_EQ(co_await env.scalar("SELECT file_count" + where), 4);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'"), 4);
    co_await env.expect_clean(user, 4);
  });
}

TEST_P(UploadForm, SeveralFilesAndFieldsInOneRequest) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("album");
    std::string tok = token_for(user);
    std::string big = pattern_bytes(100000, 5);
    std::vector<Part> parts;
    parts.push_back(field("path", "albums//2024/"));
    parts.push_back(field("visibility", "public"));
    parts.push_back(field("tags", "x, y"));
    parts.push_back(field("tags", "y,z"));
    parts.push_back(field("metadata", "{\"camera\":\"z6\",\"iso\":200}"));
    parts.push_back(field("submit", "Upload"));
    parts.push_back(file("a.txt", "text/plain", "alpha"));
    parts.push_back(field("tags", "second"));
    parts.push_back(file("b.bin", "", big));
    parts.push_back(file("", "application/octet-stream", ""));  // a file input left empty
    parts.push_back(file("\xC3\xA9t\xC3\xA9 report.txt", "text/plain", ""));
    auto up = co_await env.post_form(tok, kBoundary, form(kBoundary, parts));
    EXPECT_TRUE(up.ok());
    if (!up.ok()) co_return;
    EXPECT_EQ(up->status, 201) << up->body;
    std::vector<std::string> ids = ids_in(up->body);
    EXPECT_EQ(ids.size(), 3u) << up->body;
    if (ids.size() != 3) co_return;

    auto a = co_await env.get(tok, "/v1/files/" + ids[0]);
    EXPECT_EQ(a->status, 200);
    EXPECT_NE(a->body.find("\"name\":\"a.txt\""), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"path\":\"/albums/2024\""), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"visibility\":\"public\""), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"contentType\":\"text/plain\""), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"tags\":[\"x\",\"y\",\"z\"]"), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"camera\": \"z6\""), std::string::npos) << a->body;
    EXPECT_NE(a->body.find("\"iso\": 200"), std::string::npos) << a->body;

    auto b = co_await env.get(tok, "/v1/files/" + ids[1]);
    EXPECT_NE(b->body.find("\"tags\":[\"second\"]"), std::string::npos) << b->body;
    EXPECT_NE(b->body.find("\"camera\": \"z6\""), std::string::npos) << b->body;  // carried over
    EXPECT_NE(b->body.find("\"contentType\":\"application/octet-stream\""), std::string::npos) << b->body;
    auto b_bytes = co_await env.get(tok, "/v1/files/" + ids[1] + "/content");
    EXPECT_TRUE(b_bytes->body == big);
    auto c = co_await env.get(tok, "/v1/files/" + ids[2]);
    EXPECT_NE(c->body.find("\"name\":\"\xC3\xA9t\xC3\xA9 report.txt\""), std::string::npos) << c->body;
    EXPECT_NE(c->body.find("\"size\":0,"), std::string::npos) << c->body;

    EXPECT_EQ(co_await env.text("SELECT array_to_string(tags, ',') FROM sluice.files WHERE id = '" + ids[0] + "'"),
              "x,y,z");
    EXPECT_EQ(co_await env.text("SELECT metadata->>'camera' FROM sluice.files WHERE id = '" + ids[1] + "'"), "z6");
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes FROM sluice.accounts WHERE user_id = '" + user + "'"), 100005);
    co_await env.expect_clean(user, 3);
  });
}

// Bytes exactly as curl 7.88 formats `curl -F path=/docs -F 'metadata={"a":1}' -F file=@a.txt`,
// then the real curl (which also sends Expect: 100-continue for a body over 1 MiB).
TEST_P(UploadForm, CurlFormattedBodyAndRealCurl) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("curl");
    std::string tok = token_for(user);
    std::string raw =
        "--------------------------1321a8a21ca90cf8\r\n"
        "Content-Disposition: form-data; name=\"path\"\r\n"
        "\r\n"
        "/docs\r\n"
        "--------------------------1321a8a21ca90cf8\r\n"
        "Content-Disposition: form-data; name=\"metadata\"\r\n"
        "\r\n"
        "{\"a\":1}\r\n"
        "--------------------------1321a8a21ca90cf8\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\n"
        "\r\n"
        "--------------------------1321a8a21ca90cf8--\r\n";
    auto up = co_await env.call("POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
                                "Authorization: Bearer " + tok + "\r\nContent-Length: " + std::to_string(raw.size()) +
                                "\r\nContent-Type: multipart/form-data; boundary=------------------------1321a8a21ca90cf8"
                                "\r\n\r\n" + raw);
    EXPECT_TRUE(up.ok());
    if (!up.ok()) co_return;
    EXPECT_EQ(raw.size(), 391u);  // as curl's Content-Length said
    EXPECT_EQ(up->status, 201) << up->body;
    EXPECT_NE(up->body.find("\"size\":6,"), std::string::npos) << up->body;
    EXPECT_NE(up->body.find("\"path\":\"/docs\""), std::string::npos) << up->body;
    EXPECT_NE(up->body.find("\"metadata\":{\"a\": 1}"), std::string::npos) << up->body;

    // The real thing, run on another thread so this reactor keeps serving it.
    std::string dir = ::testing::TempDir() + "sluice-form-curl-" + std::to_string(::getpid()) + "-" + env.run_id;
    std::string in = dir + ".in", out = dir + ".out", code = dir + ".code";
    std::string data = pattern_bytes((3u << 20) + 7, 42);
    {
      std::ofstream f(in, std::ios::binary);
      f << data;
    }
    std::string cmd = "curl -sS --max-time 60 -o '" + out + "' -w '%{http_code}' -H 'Authorization: Bearer " + tok +
                      "' -F path=/from-curl -F tags=one,two -F 'metadata={\"via\":\"curl\"}' -F 'file=@" + in +
                      ";filename=photo.png;type=image/png' http://127.0.0.1:" + std::to_string(env.port()) +
                      "/v1/files > '" + code + "'";
    std::atomic<bool> done{false};
    int rc = -1;
    std::thread runner([&cmd, &done, &rc] {
      rc = std::system(cmd.c_str());
      done = true;
    });
    for (int i = 0; i < 6000 && !done; ++i) co_await SleepUntil(env.r, deadline_after(10ms));
    runner.join();
    EXPECT_EQ(rc, 0);
    std::ifstream codef(code), outf(out);
    std::stringstream code_text, body;
    code_text << codef.rdbuf();
    body << outf.rdbuf();
    EXPECT_EQ(code_text.str(), "201") << body.str();
    std::string id = id_in(body.str());
    auto meta = co_await env.get(tok, "/v1/files/" + id);
    EXPECT_NE(meta->body.find("\"name\":\"photo.png\""), std::string::npos) << meta->body;
    EXPECT_NE(meta->body.find("\"contentType\":\"image/png\""), std::string::npos) << meta->body;
    EXPECT_NE(meta->body.find("\"tags\":[\"one\",\"two\"]"), std::string::npos) << meta->body;
    EXPECT_NE(meta->body.find("\"via\": \"curl\""), std::string::npos) << meta->body;
    auto bytes = co_await env.get(tok, "/v1/files/" + id + "/content");
    EXPECT_TRUE(bytes->body == data);
    std::remove(in.c_str());
    std::remove(out.c_str());
    std::remove(code.c_str());
    co_await env.expect_clean(user, 2);
  });
}

struct Malformed {
  std::string what;
  std::string content_type;
  std::string body;
  int status;
  std::string code;
};

std::vector<Malformed> malformed_cases() {
  const std::string b = "XyZ";
  const std::string ct = "multipart/form-data; boundary=" + b;
  std::vector<Malformed> v;
  v.push_back({"no boundary", "multipart/form-data", "--XyZ--\r\n", 400, "invalid_form"});
  v.push_back({"not a form", "application/json", "{}", 415, "unsupported_media_type"});
  v.push_back({"no delimiter at all", ct, "just some bytes", 400, "invalid_form"});
  v.push_back({"ends inside a file", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\nsome data", 400,
               "invalid_form"});
  v.push_back({"ends inside headers", ct, "--XyZ\r\nContent-Disposition: form-da", 400, "invalid_form"});
  v.push_back({"no disposition", ct, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n", 400, "invalid_form"});
  v.push_back({"bad line after boundary", ct, "--XyZ junk\r\n", 400, "invalid_form"});
  v.push_back({"fields only", ct, "--XyZ\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/a\r\n--XyZ--\r\n", 400,
               "no_file"});
  v.push_back({"traversal in filename", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"..\"\r\n\r\nx\r\n--XyZ--\r\n", 400,
               "invalid_name"});
  v.push_back({"slash in filename", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a/b\"\r\n\r\nx\r\n--XyZ--\r\n", 400,
               "invalid_name"});
  v.push_back({"bad path field", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/a/../../b\r\n--XyZ--\r\n", 400,
               "invalid_path"});
  v.push_back({"bad metadata", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"a\":\r\n"
               "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nx\r\n--XyZ--\r\n",
               400, "invalid_metadata"});
  v.push_back({"field over 64 KiB", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n" + std::string(65537, 'n') +
                   "\r\n--XyZ--\r\n",
               413, "field_too_large"});
  std::string many;
  for (int i = 0; i < 101; ++i) many += "--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n";
  v.push_back({"over 100 parts", ct, many + "--XyZ--\r\n", 413, "form_limit_exceeded"});
  v.push_back({"header block over 8 KiB", ct,
               "--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\nX-Pad: " + std::string(9000, 'p') +
                   "\r\n\r\nv\r\n--XyZ--\r\n",
               413, "form_limit_exceeded"});
  return v;
}

TEST_P(UploadForm, MalformedFormsAreRefusedWithJson) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("broken");
    std::string tok = token_for(user);
    std::vector<Malformed> cases = malformed_cases();
    for (const Malformed& m : cases) {
      auto r = co_await env.call("POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                                 "\r\nContent-Type: " + m.content_type + "\r\nContent-Length: " +
                                 std::to_string(m.body.size()) + "\r\n\r\n" + m.body);
      EXPECT_TRUE(r.ok()) << m.what;
      if (!r.ok()) continue;
      EXPECT_EQ(r->status, m.status) << m.what << ": " << r->body;
      EXPECT_NE(r->body.find("\"code\":\"" + m.code + "\""), std::string::npos) << m.what << ": " << r->body;
      EXPECT_EQ(r->header("content-type").rfind("application/json", 0), 0u) << m.what;
    }
    auto anon = co_await env.call("POST /v1/files HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; "
                                  "boundary=XyZ\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(anon->status, 401);
    co_await env.expect_clean(user, 0);
    // Only "ends inside a file" got as far as a file row.
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 1);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 1);
  });
}

// Files committed before a failure stay (listed in the error's details); the failing one is
// aborted: row failed, nothing reserved or leased, no object (the bucket is listed).
TEST_P(UploadForm, FailurePathsKeepCommittedFilesAndReleaseTheRest) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("partial");
    std::string tok = token_for(user);
    (void)co_await env.scalar(
        "INSERT INTO sluice.tiers (name, quota_bytes, max_file_bytes, max_files, max_concurrent_uploads) "
        "VALUES ('mid', 1000000000, 20000000, 100, 2) RETURNING 0");
    (void)co_await env.scalar("INSERT INTO sluice.accounts (user_id, tier) VALUES ('" + user + "', 'mid') RETURNING 0");
    int64_t committed = 0;
    {  // 1. Over the tier's limit per file (on S3: after two parts went up).
      std::vector<Part> parts;
      parts.push_back(file("ok1.txt", "text/plain", "first"));
      parts.push_back(file("huge.bin", "", pattern_bytes(20000001, 1)));
      auto r = co_await env.post_form(tok, kBoundary, form(kBoundary, parts));
      EXPECT_TRUE(r.ok());
      if (!r.ok()) co_return;
      EXPECT_EQ(r->status, 413) << r->body;
      std::vector<std::string> kept = ids_in(r->body);
      EXPECT_EQ(kept.size(), 1u) << r->body;  // the details list the committed file
      if (!kept.empty()) {
        auto back = co_await env.get(tok, "/v1/files/" + kept[0] + "/content");
        EXPECT_EQ(back->body, "first");
      }
      committed += 1;
    }
    {  // 2. Bad metadata between two files.
      std::vector<Part> parts;
      parts.push_back(file("ok2.txt", "text/plain", "second"));
      parts.push_back(field("metadata", "{\"a\": nope}"));
      parts.push_back(file("never.txt", "text/plain", "never"));
      auto r = co_await env.post_form(tok, kBoundary, form(kBoundary, parts));
      EXPECT_EQ(r->status, 400) << r->body;
      EXPECT_NE(r->body.find("invalid_metadata"), std::string::npos) << r->body;
      EXPECT_EQ(ids_in(r->body).size(), 1u) << r->body;
      committed += 1;
    }
    {  // 3. More files than one request may carry (20): the first 20 are kept.
      std::vector<Part> parts;
      for (int i = 0; i < 21; ++i) parts.push_back(file("n" + std::to_string(i) + ".txt", "text/plain", "n"));
      auto r = co_await env.post_form(tok, kBoundary, form(kBoundary, parts));
      EXPECT_EQ(r->status, 413) << r->body;
      EXPECT_NE(r->body.find("too_many_files"), std::string::npos) << r->body;
      EXPECT_EQ(ids_in(r->body).size(), 20u);
      committed += 20;
    }
    {  // 4. The client disconnects in the middle of the second file (past an S3 part).
      std::vector<Part> parts;
      parts.push_back(file("ok3.txt", "text/plain", "third"));
      parts.push_back(file("cut.bin", "", pattern_bytes(12000000, 2)));
      std::string body = form(kBoundary, parts);
      auto c = co_await RawHttpClient::connect(env.r, env.port());
      if (!c.ok()) co_return;
      (void)co_await (*c)->send("POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                                "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                                body.substr(0, 9500000));
      // Wait until the first file is committed and the second is streaming, then hang up.
      for (int i = 0; i < 1000; ++i) {
        if (co_await env.scalar("SELECT count(*) FROM sluice.files WHERE name = 'cut.bin'") == 1) break;
        co_await SleepUntil(env.r, deadline_after(5ms));
      }
      co_await SleepUntil(env.r, deadline_after(100ms));
      co_await (*c)->close();
      committed += 1;
    }
    co_await env.expect_clean(user, committed);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'available'"), committed);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE status = 'failed'"), 2);
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files WHERE name IN ('huge.bin', 'cut.bin') AND "
                                  "status = 'failed'"),
              2);
    EXPECT_EQ(co_await env.scalar("SELECT file_count FROM sluice.accounts WHERE user_id = '" + user + "'"), committed);
  });
}

// With Content-Length, a form's file reserves min(body length, tier max); chunked, the tier max.
TEST_P(UploadForm, ReservesAtMostTheBodyLength) {
  with_env([](Env& env) -> Task<void> {
    std::string user = env.user("bound");
    std::string tok = token_for(user);
    std::string where = " FROM sluice.accounts WHERE user_id = '" + user + "'";
    for (bool use_chunked : {false, true}) {
      std::vector<Part> parts;
      parts.push_back(file(use_chunked ? "r-chunked.bin" : "r.bin", "", pattern_bytes(1000, 9)));
      std::string body = form(kBoundary, parts);
      std::string head = "POST /v1/files HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                         "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\n";
      std::string first, rest;
      if (use_chunked) {
        std::string framed = testing::chunked(body, 300);
        head += "Transfer-Encoding: chunked\r\n\r\n";
        first = framed.substr(0, 400);
        rest = framed.substr(400);
      } else {
        head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        first = body.substr(0, 400);
        rest = body.substr(400);
      }
      auto c = co_await RawHttpClient::connect(env.r, env.port());
      if (!c.ok()) co_return;
      (void)co_await (*c)->send(head + first);
      int64_t reserved = 0;
      for (int i = 0; i < 500 && reserved <= 0; ++i) {
        reserved = co_await env.scalar("SELECT reserved_bytes" + where);
        if (reserved <= 0) co_await SleepUntil(env.r, deadline_after(5ms));
      }
      EXPECT_EQ(reserved, use_chunked ? 104857600 : static_cast<int64_t>(body.size()));
      (void)co_await (*c)->send(rest);
      auto r = co_await (*c)->read_response(20s);
      co_await (*c)->close();
      EXPECT_TRUE(r.ok());
      if (r.ok()) {
        EXPECT_EQ(r->status, 201) << r->body;
      }
      EXPECT_EQ(co_await env.scalar("SELECT reserved_bytes" + where), 0);
    }
    EXPECT_EQ(co_await env.scalar("SELECT used_bytes" + where), 2000);
    co_await env.expect_clean(user, 2);
  });
}

}  // namespace
}  // namespace sluice
