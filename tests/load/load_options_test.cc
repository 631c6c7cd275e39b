#include "tools/load/load_options.h"

#include <gtest/gtest.h>

namespace sluice::load {
namespace {

const std::string kSecret(40, 's');

Result<LoadOptions> parse(std::vector<std::string> args, std::string_view env = {}) {
  return parse_load_options(args, env);
}

TEST(LoadOptions, DefaultsForPut) {
  auto o = parse({"--url", "http://127.0.0.1:8080", "--jwt-secret", kSecret});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 8080);
  EXPECT_EQ(o->mode, LoadMode::put);
  EXPECT_EQ(o->path, "/v1/files/content");
  EXPECT_EQ(o->query, "path=/load&name=f{run}-{n}");
  EXPECT_EQ(o->duration, std::chrono::seconds(10));  // neither --count nor --duration
  EXPECT_TRUE(o->closed_loop());
  EXPECT_EQ(o->expect_status, (std::set<int>{200, 201}));
}

TEST(LoadOptions, ModesPickTheirPaths) {
  auto form = parse({"--url", "http://h:1", "--no-auth", "--mode", "form"});
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->path, "/v1/files");
  EXPECT_TRUE(form->query.empty());
  auto mp = parse({"--url", "http://h:1", "--no-auth", "--mode", "multipart"});
  ASSERT_TRUE(mp.ok());
  EXPECT_EQ(mp->path, "/v1/uploads");
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--mode", "get"}).ok());  // needs --path
}

TEST(LoadOptions, ParsesEveryKnob) {
  auto o = parse({"--url", "http://localhost:9000/", "--mode", "get", "--path", "/v1/files/abc", "--rate", "5000",
                  "--arrival", "fixed", "--concurrency", "20000", "--threads", "2", "--duration", "1.5m",
                  "--count", "7", "--expect-status", "200,204", "--expect-continue", "--continue-timeout", "250ms",
                  "--timeout", "5s", "--header", "X-Test: 1", "--send-batch", "128KiB", "--json", "--users", "3"},
                 kSecret);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->jwt_secret, kSecret);  // from the environment
  EXPECT_DOUBLE_EQ(o->rate, 5000);
  EXPECT_FALSE(o->poisson);
  EXPECT_EQ(o->concurrency, 20000u);
  EXPECT_EQ(o->duration, std::chrono::seconds(90));
  EXPECT_EQ(o->count, 7u);
  EXPECT_EQ(o->expect_status, (std::set<int>{200, 204}));
  EXPECT_EQ(o->continue_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o->headers, std::vector<std::string>{"X-Test: 1"});
  EXPECT_EQ(o->send_batch, 128u * 1024);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->users, 3u);
}

TEST(LoadOptions, RefusesWhatCannotWork) {
  EXPECT_FALSE(parse({"--no-auth"}).ok());                                          // no --url
  EXPECT_FALSE(parse({"--url", "https://h:1", "--no-auth"}).ok());                   // TLS
  EXPECT_FALSE(parse({"--url", "http://h:1/v1", "--no-auth"}).ok());                 // path in url
  EXPECT_FALSE(parse({"--url", "http://h:1"}).ok());                                 // no secret
  EXPECT_FALSE(parse({"--url", "http://h:1", "--jwt-secret", "short"}).ok());       // weak secret
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--sizes", "1KiB:10%"}).ok());
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--concurrency", "0"}).ok());
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--verify-sample", "2"}).ok());
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--bogus", "1"}).ok());
  EXPECT_FALSE(parse({"--url", "http://h:1", "--no-auth", "--duration"}).ok());      // value missing
  EXPECT_EQ(parse({"--help"}).error().code, Errc::cancelled);
}

TEST(Duration, Units) {
  EXPECT_EQ(*parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("30"), std::chrono::seconds(30));
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*parse_duration("1h"), std::chrono::hours(1));
  EXPECT_FALSE(parse_duration("soon").ok());
  EXPECT_FALSE(parse_duration("5 days").ok());
}

}  // namespace
}  // namespace sluice::load
