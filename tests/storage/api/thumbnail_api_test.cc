// Thumbnails end to end: image uploads queued by the outbox, made by a Thumbnailer (the code of
// `sluice thumbnailer`, and the one `sluice serve` runs), served to the owner, to anyone for a
// public file and through a share link (even metadata-only), refused for the rest, and removed
// from the store with their file. Real PostgreSQL, Redis and the local store.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/service/thumbnails/thumbnail_queries.h"
#include "storage/service/thumbnails/thumbnailer.h"
#include "storage/store/local/local_store.h"
#include "tests/storage/service/thumbnails/test_images.h"
#include "tests/storage/store/store_test_streams.h"
#include "tests/storage/service_harness.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

Task<std::string> put_file(ServiceEnv& env, std::string tok, std::string name, std::string body, std::string type) {
  auto up = co_await env.request("PUT", "/v1/files/content?name=" + name, std::move(tok), std::move(body),
                                 "Content-Type: " + type + "\r\n");
  EXPECT_EQ(up.status, 201) << up.body;
  co_return json_field(up.body, "id");
}

// The thumbnail objects in the local store's directory.
int thumbnail_objects(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".thumb-") != std::string::npos) ++n;
  return n;
}

// Runs the thumbnailer of `sluice thumbnailer --once` until no job is due.
Task<uint64_t> make_thumbnails(ServiceEnv& env, ThumbnailStats& stats) {
  local::LocalStoreOptions lo;
  lo.root = env.store_dir;
  auto store = local::LocalStore::open(env.r, lo);
  EXPECT_TRUE(store.ok());
  if (!store.ok()) co_return 0;
  ServiceConfig c;  // the defaults: sizes 128 and 512, one thread, 100 MP
  Thumbnailer t(env.r, pg_url_with_db(service_env("SLUICE_TEST_PG_URL"), env.run_id), **store,
                thumbnailer_options(c), stats);
  auto done = co_await t.run_until_idle();
  EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error().message);
  co_await t.stop();
  co_await (*store)->shutdown();
  co_return done.ok() ? *done : 0;
}

HarnessOptions thumbnails(bool in_serve) {
  HarnessOptions o;
  o.tweak = [in_serve](ServiceConfig& c) { c.thumbnails = in_serve; };
  return o;
}

TEST(ThumbnailApi, MadeFromTheOutboxServedByTheRulesAndPurgedWithTheirFile) {
  ASSERT_TRUE(service::start_image_library(1, service::ImageLimits{}));  // the test makes images first
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string ann = token_for(env.user("ann"));
        std::string bob = token_for(env.user("bob"));
        std::string jpeg = make_image("jpeg", 600, 400);
        std::string bomb_png = png_bomb(30000, 30000);
        std::string photo = co_await put_file(env, ann, "photo.jpg", std::move(jpeg), "image/jpeg");
        std::string notes = co_await put_file(env, ann, "notes.txt", "just text", "text/plain");
        std::string fake = co_await put_file(env, ann, "holiday.jpg", "not a jpeg at all", "image/jpeg");
        std::string bomb = co_await put_file(env, ann, "bomb.png", std::move(bomb_png), "image/png");
        std::string cut = make_image("jpeg", 800, 600);
        cut.resize(cut.size() / 2);
        std::string truncated = co_await put_file(env, ann, "cut.jpg", std::move(cut), "image/jpeg");
        std::string thumb = "/v1/files/" + photo + "/thumbnail";

        // Queued by the upload's commit; nothing made yet (no thumbnailer in this process).
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.thumbnails WHERE state = 'pending'"), 4);
        auto pending = co_await env.request("GET", thumb, ann);
        EXPECT_EQ(pending.status, 202) << pending.body;
        EXPECT_EQ(pending.header("retry-after"), "2");
        EXPECT_EQ(json_field(pending.body, "code"), "thumbnail_pending");
        auto text = co_await env.request("GET", "/v1/files/" + notes + "/thumbnail", ann);
        EXPECT_EQ(text.status, 404);
        EXPECT_EQ(json_field(text.body, "code"), "not_an_image");

        ThumbnailStats stats;
        EXPECT_EQ(co_await make_thumbnails(env, stats), 4u);
        EXPECT_EQ(stats.made.load(), 1u);
        EXPECT_EQ(stats.failed.load(), 3u);
        EXPECT_EQ(stats.refused.load(), 1u);

        // The owner's thumbnails: WebP, longest side as asked, cacheable and revalidated.
        auto small = co_await env.request("GET", thumb + "?size=128", ann);
        EXPECT_EQ(small.status, 200) << small.body;
        EXPECT_EQ(small.header("content-type"), "image/webp");
        EXPECT_EQ(small.header("cache-control"), "private");
        ImageFacts f = facts_of(small.body);
        EXPECT_EQ(f.width, 128);
        EXPECT_EQ(f.height, 85);
        std::string etag = small.header("etag");
        EXPECT_FALSE(etag.empty());
        EXPECT_EQ((co_await env.request("GET", thumb + "?size=128", ann, "", "If-None-Match: " + etag + "\r\n")).status,
                  304);
        EXPECT_EQ(facts_of((co_await env.request("GET", thumb + "?size=512", ann)).body).width, 512);
        EXPECT_EQ(facts_of((co_await env.request("GET", thumb, ann)).body).width, 128);  // the first size
        auto odd = co_await env.request("GET", thumb + "?size=100", ann);
        EXPECT_EQ(odd.status, 400);
        EXPECT_EQ(json_field(odd.body, "code"), "invalid_size");
        // Recorded in the file's metadata and announced in the outbox.
        auto file = co_await env.request("GET", "/v1/files/" + photo, ann);
        EXPECT_NE(file.body.find("\"image\": {\"width\": 600, \"format\": \"jpeg\", \"height\": 400}"), std::string::npos)
            << file.body;
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.events WHERE kind = 'thumbnail.created' "
                                      "AND aggregate_id = '" + photo + "' AND payload->'sizes' = '[128, 512]'"),
                  1);

        // Failures are final and say why.
        for (const std::string& id : {fake, bomb, truncated}) {
          auto failed = co_await env.request("GET", "/v1/files/" + id + "/thumbnail", ann);
          EXPECT_EQ(failed.status, 422) << failed.body;
          EXPECT_EQ(json_field(failed.body, "code"), "thumbnail_failed");
        }
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.thumbnails WHERE file_id = '" + bomb +
                                      "' AND error LIKE 'image too large: 30000x30000%'"),
                  1);

        // Others never see it; public and share routes follow the file's rules.
        EXPECT_EQ((co_await env.request("GET", thumb, bob)).status, 404);
        EXPECT_EQ((co_await env.request("GET", thumb, "")).status, 401);
        std::string pub = "/public/v1/files/" + photo + "/thumbnail";
        EXPECT_EQ((co_await env.request("GET", pub, "")).status, 404);
        auto made_public = co_await env.request("PATCH", "/v1/files/" + photo, ann, "{\"visibility\":\"public\"}",
                                                "Content-Type: application/json\r\n");
        EXPECT_EQ(made_public.status, 200) << made_public.body;
        auto open = co_await env.request("GET", pub + "?size=512", "");
        EXPECT_EQ(open.status, 200);
        EXPECT_EQ(open.header("cache-control").rfind("public, max-age=", 0), 0u) << open.header("cache-control");
        EXPECT_EQ(facts_of(open.body).width, 512);

        auto share = co_await env.request("POST", "/v1/files/" + photo + "/shares", ann, "{\"allowDownload\":false}",
                                          "Content-Type: application/json\r\n");
        EXPECT_EQ(share.status, 201) << share.body;
        std::string link = "/public/v1/shares/" + json_field(share.body, "token");
        EXPECT_EQ((co_await env.request("GET", link + "/content", "")).status, 403);
        auto shared = co_await env.request("GET", link + "/thumbnail?size=128", "");
        EXPECT_EQ(shared.status, 200);
        EXPECT_EQ(shared.header("cache-control"), "private, no-store");
        EXPECT_EQ(facts_of(shared.body).width, 128);
        auto locked = co_await env.request("POST", "/v1/files/" + photo + "/shares", ann, "{\"password\":\"pw-123456\"}",
                                           "Content-Type: application/json\r\n");
        std::string locked_link = "/public/v1/shares/" + json_field(locked.body, "token");
        EXPECT_EQ((co_await env.request("GET", locked_link + "/thumbnail", "")).status, 401);
        EXPECT_EQ((co_await env.request("GET", "/public/v1/shares/nope/thumbnail", "")).status, 404);

        // Purged with the file: its thumbnail objects go too, and its job row.
        EXPECT_EQ(thumbnail_objects(env.store_dir), 2);
        EXPECT_EQ((co_await env.request("DELETE", "/v1/files/" + photo + "?permanent=true", ann)).status, 204);
        EXPECT_EQ(thumbnail_objects(env.store_dir), 0);
        EXPECT_EQ(co_await env.scalar("SELECT count(*) FROM sluice.thumbnails WHERE file_id = '" + photo + "'"), 0);
        EXPECT_EQ((co_await env.request("GET", thumb, ann)).status, 404);
      },
      thumbnails(false));
}

// A thumbnailer killed after storing its WebPs and before recording them: the keys it planned
// (kPlanVariants, written before the first PUT) go with the file when it is purged; a plan for a
// file already gone is refused, so nothing is stored for it.
TEST(ThumbnailApi, VariantsStoredButNeverRecordedGoWithTheirFile) {
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string ann = token_for(env.user("ann"));
        std::string jpeg = make_image("jpeg", 64, 48);  // named: GCC 12 and temporaries in co_await
        std::string id = co_await put_file(env, ann, "photo.jpg", std::move(jpeg), "image/jpeg");
        auto claimed = co_await env.check->query(thumbnail_sql::kClaim, int64_t{3600});
        EXPECT_TRUE(claimed.ok() && claimed->rows() == 1);
        if (!claimed.ok() || claimed->rows() != 1) co_return;
        std::string object_key(claimed->text(0, 1));
        std::string k128 = object_key + ".thumb-128.webp", k512 = object_key + ".thumb-512.webp";
        std::string plan = "{\"128\": {\"key\": \"" + k128 + "\"}, \"512\": {\"key\": \"" + k512 + "\"}}";
        auto planned = co_await env.check->query(thumbnail_sql::kPlanVariants, id, plan);
        EXPECT_TRUE(planned.ok() && planned->rows() == 1);
        // ...it stored both and died: no record, the job stays 'processing' under its claim.
        local::LocalStoreOptions lo;
        lo.root = env.store_dir;
        auto store = local::LocalStore::open(env.r, lo);
        EXPECT_TRUE(store.ok());
        if (!store.ok()) co_return;
        std::vector<std::string> keys{k128, k512};
        for (const std::string& k : keys) {
          StringSource body("RIFF-not-really-webp");
          PutOptions po;
          auto put = co_await (*store)->put(k, 20, body, po);
          EXPECT_TRUE(put.ok());
        }
        EXPECT_EQ(thumbnail_objects(env.store_dir), 2);
        EXPECT_EQ((co_await env.request("GET", "/v1/files/" + id + "/thumbnail", ann)).status, 202);
        EXPECT_EQ((co_await env.request("DELETE", "/v1/files/" + id + "?permanent=true", ann)).status, 204);
        EXPECT_EQ(thumbnail_objects(env.store_dir), 0) << "WebPs stored before the crash outlived their file";
        auto late = co_await env.check->query(thumbnail_sql::kPlanVariants, id, plan);
        EXPECT_TRUE(late.ok() && late->rows() == 0) << "a plan was recorded for a purged file";
        co_await (*store)->shutdown();
      },
      thumbnails(false));
}

// `sluice serve` makes them itself (SLUICE_THUMBNAILS=on, the default), and counts in /metrics.
TEST(ThumbnailApi, ServeMakesThemOnItsOwnThreads) {
  ASSERT_TRUE(service::start_image_library(1, service::ImageLimits{}));
  with_service(
      [](ServiceEnv& env) -> Task<void> {
        std::string ann = token_for(env.user("ann"));
        std::string webp = make_image("webp", 300, 500);
        std::string id = co_await put_file(env, ann, "pic.webp", std::move(webp), "image/webp");
        RawResponse got;
        for (Deadline end = deadline_after(20s); Clock::now() < end;) {
          got = co_await env.request("GET", "/v1/files/" + id + "/thumbnail?size=128", ann);
          if (got.status != 202) break;
          co_await SleepUntil(env.r, deadline_after(50ms));
        }
        EXPECT_EQ(got.status, 200) << got.body;
        ImageFacts f = facts_of(got.body);
        EXPECT_EQ(f.width, 77);
        EXPECT_EQ(f.height, 128);
        auto metrics = co_await env.request("GET", "/metrics", "");
        EXPECT_NE(metrics.body.find("sluice_thumbnails_made_total 1\n"), std::string::npos) << metrics.body;
      },
      thumbnails(true));
}

}  // namespace
}  // namespace sluice::testing
