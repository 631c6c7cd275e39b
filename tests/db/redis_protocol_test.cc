// Unit tests for the Redis URL parser, the RESP decoder and error-reply mapping (no server).
#include <gtest/gtest.h>

#include <string>

#include "db/redis_options.h"
#include "db/redis_reply.h"
#include "db/redis_script.h"
#include "db/resp_decoder.h"

namespace sluice {
namespace {

TEST(RedisUrl, ParsesHostPortDatabase) {
  auto o = RedisOptions::parse_url("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 2);
  EXPECT_TRUE(o->user.empty());
  EXPECT_TRUE(o->password.empty());
  auto d = RedisOptions::parse_url("redis://localhost");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
}

TEST(RedisUrl, ParsesCredentials) {
  auto o = RedisOptions::parse_url("redis://alice:s%40cr%3At@10.0.0.1:7000/3");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->user, "alice");
  EXPECT_EQ(o->password, "s@cr:t");
  EXPECT_EQ(o->host, "10.0.0.1");
  EXPECT_EQ(o->db, 3);
  auto p = RedisOptions::parse_url("redis://:onlypass@h:1/0");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->user, "");
  EXPECT_EQ(p->password, "onlypass");
  auto v6 = RedisOptions::parse_url("redis://[::1]:6379/1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->db, 1);
}

TEST(RedisUrl, RejectsBadUrls) {
  EXPECT_FALSE(RedisOptions::parse_url("http://h:1").ok());
  EXPECT_FALSE(RedisOptions::parse_url("redis://h:99999").ok());
  EXPECT_FALSE(RedisOptions::parse_url("redis://h:1/x").ok());
  EXPECT_FALSE(RedisOptions::parse_url("redis://:%4@h").ok());
  EXPECT_FALSE(RedisOptions::parse_url("redis:///0").ok());
}

TEST(RedisUrl, FromUrlResolvesNumericHosts) {
  auto o = RedisOptions::from_url("redis://127.0.0.1:6390/0");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->address.to_string(), "127.0.0.1:6390");
}

TEST(RespDecoder, DecodesEveryReplyTypeAcrossSplitFeeds) {
  RespDecoder d;
  std::string wire = "+OK\r\n-ERR bad thing\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+st\r\n";
  // One byte at a time: replies must come out only when complete.
  std::vector<RedisReply> out;
  for (char c : wire) {
    ASSERT_TRUE(d.feed(std::span<const char>(&c, 1)).ok());
    for (;;) {
      auto r = d.next();
      ASSERT_TRUE(r.ok());
      if (!*r) break;
      out.push_back(std::move(**r));
    }
  }
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].type, RedisReply::Type::status);
  EXPECT_EQ(out[0].str, "OK");
  EXPECT_EQ(out[1].type, RedisReply::Type::error);
  EXPECT_EQ(out[1].str, "ERR bad thing");
  EXPECT_EQ(out[2].type, RedisReply::Type::integer);
  EXPECT_EQ(out[2].integer, 42);
  EXPECT_EQ(out[3].type, RedisReply::Type::string);
  EXPECT_EQ(out[3].str, "hello");
  EXPECT_TRUE(out[4].is_nil());
  ASSERT_EQ(out[5].type, RedisReply::Type::array);
  ASSERT_EQ(out[5].elements.size(), 3u);
  EXPECT_EQ(out[5].elements[0].integer, 1);
  ASSERT_EQ(out[5].elements[1].elements.size(), 2u);
  EXPECT_EQ(out[5].elements[1].elements[0].str, "a");
  EXPECT_TRUE(out[5].elements[1].elements[1].is_nil());
  EXPECT_EQ(out[5].elements[2].str, "st");
}

TEST(RespDecoder, ReportsProtocolErrors) {
  RespDecoder d;
  ASSERT_TRUE(d.feed(std::span<const char>("?what\r\n", 7)).ok());
  auto r = d.next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::protocol_error);
  d.reset();
  ASSERT_TRUE(d.feed(std::span<const char>(":7\r\n", 4)).ok());
  auto ok = d.next();
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(ok->has_value());
  EXPECT_EQ((*ok)->integer, 7);
}

TEST(RedisError, MapsPrefixes) {
  Error e = redis_error("NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(e.code, Errc::not_found);
  EXPECT_EQ(e.detail, "NOSCRIPT");
  EXPECT_EQ(redis_error("WRONGPASS invalid username-password pair").code, Errc::unauthenticated);
  EXPECT_EQ(redis_error("LOADING Redis is loading").code, Errc::unavailable);
  EXPECT_EQ(redis_error("WRONGTYPE Operation against a key").detail, "WRONGTYPE");
}

TEST(RedisScript, HashesLikeRedis) {
  // redis-cli SCRIPT LOAD "return 1" prints this digest.
  EXPECT_EQ(RedisScript("return 1").sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

}  // namespace
}  // namespace sluice
