// File names, paths and content types from clients, over real sockets: invisible format
// characters (Unicode Cf: bidi overrides, zero-width...) and ill-formed UTF-8 (overlong forms,
// surrogates, past U+10FFFF) are refused with a JSON 400 before PostgreSQL sees them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/upload_test_env.h"

namespace sluice {
namespace {

using testing::token_for;
using Env = testing::UploadEnv;

std::string error_code_of(const std::string& body) {
  size_t at = body.find("\"code\":\"");
  if (at == std::string::npos) return {};
  at += 8;
  return body.substr(at, body.find('"', at) - at);
}

// Percent-encoded names (as a client sends them in ?name=) that must be refused.
const std::vector<std::string> kInvisible = {
    "invoice%E2%80%AEfdp.exe",  // U+202E RIGHT-TO-LEFT OVERRIDE
    "a%E2%80%8Bb.txt",          // U+200B ZERO WIDTH SPACE
    "a%E2%80%8Fb.txt",          // U+200F RIGHT-TO-LEFT MARK
    "a%E2%81%A6b.txt",          // U+2066 LEFT-TO-RIGHT ISOLATE
    "a%E2%81%A0b.txt",          // U+2060 WORD JOINER
    "%EF%BB%BFa.txt",           // U+FEFF BOM
    "a%C2%ADb.txt",             // U+00AD SOFT HYPHEN
    "a%D8%9Cb.txt",             // U+061C ARABIC LETTER MARK
    "a%E1%A0%8Eb.txt",          // U+180E MONGOLIAN VOWEL SEPARATOR
    "a%EF%BF%B9b.txt",          // U+FFF9 INTERLINEAR ANNOTATION ANCHOR
    "a%F3%A0%80%81b.txt",       // U+E0001 LANGUAGE TAG
    "a%F3%A0%81%81b.txt",       // U+E0041 TAG LATIN CAPITAL LETTER A
    "a%C2%85b.txt",             // U+0085 NEXT LINE (C1 control)
    "a%E2%80%A8b.txt",          // U+2028 LINE SEPARATOR
};
const std::vector<std::string> kIllFormed = {
    "a%C0%80b",          // overlong NUL
    "a%C1%BFb",          // overlong
    "a%E0%80%80b",       // overlong 3-byte NUL
    "a%E0%80%AFb",       // overlong '/'
    "a%F0%80%80%80b",    // overlong 4-byte
    "a%ED%A0%80b",       // U+D800 (surrogate)
    "a%ED%BF%BFb",       // U+DFFF (surrogate)
    "a%F4%90%80%80b",    // U+110000
    "a%F5%80%80%80b",    // past U+10FFFF
    "a%E2%82b",          // truncated
    "a%80b",             // stray continuation byte
};

TEST(NameRulesApi, InvisibleFormatCharactersInNamesAndPathsAre400) {
  testing::with_upload_env("local", [](Env& env) -> Task<void> {
    std::string tok = token_for(env.user("names"));
    for (const std::string& name : kInvisible) {
      std::string query = "name=" + name;
      auto r = co_await env.upload(tok, query, "x");
      EXPECT_TRUE(r.ok());
      if (!r.ok()) continue;
      EXPECT_EQ(r->status, 400) << name << ": " << r->body;
      EXPECT_EQ(error_code_of(r->body), "invalid_name") << name;
      std::string in_path = "path=%2Fdocs%2F" + name + "&name=ok.txt";
      auto p = co_await env.upload(tok, in_path, "x");
      EXPECT_TRUE(p.ok());
      if (!p.ok()) continue;
      EXPECT_EQ(p->status, 400) << name << ": " << p->body;
      EXPECT_EQ(error_code_of(p->body), "invalid_path") << name;
    }
    // A JSON name carries them as \u escapes: refused the same way.
    std::string init = "{\"name\":\"invoice\\u202Efdp.exe\",\"size\":10}";
    std::string req = "POST /v1/uploads HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + tok +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(init.size()) +
                      "\r\n\r\n" + init;
    auto json = co_await env.call(req);
    EXPECT_TRUE(json.ok());
    if (json.ok()) {
      EXPECT_EQ(json->status, 400) << json->body;
    }
    // Visible non-ASCII names are fine.
    for (std::string ok : {"name=%E6%97%A5%E6%9C%AC%E8%AA%9E%20%C3%BC.txt", "name=%F0%9F%98%80.txt",
                           "path=%2F%C3%A9t%C3%A9&name=a%E2%80%94b.txt"}) {
      auto r = co_await env.upload(tok, ok, "x");
      EXPECT_TRUE(r.ok());
      if (r.ok()) {
        EXPECT_EQ(r->status, 201) << ok << ": " << r->body;
      }
    }
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 3);
  });
}

TEST(NameRulesApi, OverlongSurrogateAndOutOfRangeUtf8Is400BeforePostgres) {
  testing::with_upload_env("local", [](Env& env) -> Task<void> {
    std::string tok = token_for(env.user("utf8"));
    for (const std::string& bad : kIllFormed) {
      std::string query = "name=" + bad;
      auto r = co_await env.upload(tok, query, "x");
      EXPECT_TRUE(r.ok());
      if (!r.ok()) continue;
      EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
      EXPECT_EQ(error_code_of(r->body), "invalid_name") << bad;
      std::string in_path = "path=%2F" + bad + "&name=ok.txt";
      auto p = co_await env.upload(tok, in_path, "x");
      EXPECT_TRUE(p.ok());
      if (!p.ok()) continue;
      EXPECT_EQ(p->status, 400) << bad << ": " << p->body;
      EXPECT_EQ(error_code_of(p->body), "invalid_path") << bad;
    }
    // A Content-Type with an overlong or surrogate sequence never reaches the files row.
    for (std::string ct : {std::string("text/\xE0\x80\x80"), std::string("text/a\xED\xA0\x80"),
                           std::string("text/\xF4\x90\x80\x80")}) {
      std::string header = "Content-Type: " + ct + "\r\n";
      auto r = co_await env.upload(tok, "name=ct.txt", "x", header);
      EXPECT_TRUE(r.ok());
      if (!r.ok()) continue;
      EXPECT_EQ(r->status, 400) << r->body;
      EXPECT_EQ(error_code_of(r->body), "invalid_content_type");
    }
    EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.files"), 0);
    EXPECT_EQ(co_await env.scalar("SELECT coalesce(sum(reserved_bytes + reserved_files), 0) FROM sluice.accounts"), 0);
  });
}

}  // namespace
}  // namespace sluice
