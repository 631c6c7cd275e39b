// The web console (tools/console, served at /console/ and /s/{token}) in Debian's Chromium,
// headless, driven by playwright-core under Node (tests/storage/clients/console_browser.mjs; npm
// packages installed by tools/test into build/node: SLUICE_CONSOLE_JS_DIR). The script does the
// browser's part and checks its downloads byte-exact; this test then checks the server's side:
// both files stored at their sizes, nothing left reserved or leased. Screenshots of the upload
// page mid-upload, the file browser and the share page stay in $TMPDIR/sluice-console-<db>/.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "tests/storage/multipart_env.h"

#ifndef SLUICE_TUS_CLIENTS_DIR
#error "SLUICE_TUS_CLIENTS_DIR (tests/storage/clients) must be defined by the build"
#endif

namespace sluice {
namespace {

using testing::json_int;
using testing::kMiB;
using testing::MpuEnv;
using testing::token_for;
using testing::with_mpu_env;

// A free loopback port for the "other origin" page the script serves: loopback like the API, so
// Chromium's local-network rules stay out of the way of the CORS check.
std::string other_origin() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return "http://127.0.0.1:" + std::to_string(port);
}

std::string js_dir() {
  const char* dir = std::getenv("SLUICE_CONSOLE_JS_DIR");
  return dir ? dir : "";
}

TEST(ConsoleBrowser, UploadsBrowsesAndSharesInChromium) {
  ASSERT_FALSE(js_dir().empty()) << "SLUICE_CONSOLE_JS_DIR is not set (tools/test installs Uppy and playwright-core)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "Debian's chromium is not installed (tools/services.sh)";
  const std::string origin = other_origin();
  ASSERT_NE(origin, "http://127.0.0.1:0");
  with_mpu_env(
      "local",
      [origin](MpuEnv& env) -> Task<void> {
        std::string user = env.user("console"), tok = token_for(user);
        std::string work = (std::filesystem::temp_directory_path() / ("sluice-console-" + env.run_id)).string();
        std::string base = "http://127.0.0.1:" + std::to_string(env.port());
        std::vector<std::string> argv = {"node", SLUICE_TUS_CLIENTS_DIR "/console_browser.mjs", base, tok, work,
                                         origin};
        std::vector<std::string> extra = {"SLUICE_CONSOLE_JS_DIR=" + js_dir()};
        std::string out = env.dir + "/browser.out", err = env.dir + "/browser.err";
        auto child = testing::spawn_process(argv, extra, out, err);
        EXPECT_TRUE(child.ok());
        if (!child.ok()) co_return;
        int status = co_await testing::wait_exit(env.r, std::move(*child));
        std::string lines = testing::read_file(out);
        std::cout << "console in Chromium (screenshots in " << work << "):\n" << lines;
        EXPECT_EQ(status, 0) << "the browser run failed; stderr:\n" << testing::read_file(err);
        EXPECT_NE(lines.find("\"step\":\"clean\""), std::string::npos) << "the script did not reach its end";

        // The server's side: both files at their sizes, the moved one where the browser put it.
        auto moved = co_await env.req("GET", "/v1/files?path=/moved", tok);
        EXPECT_EQ(moved.status, 200);
        EXPECT_NE(moved.body.find("\"name\":\"renamed.bin\""), std::string::npos) << moved.body;
        EXPECT_NE(moved.body.find("\"size\":" + std::to_string(20 * kMiB)), std::string::npos) << moved.body;
        auto root = co_await env.req("GET", "/v1/files?path=/", tok);
        EXPECT_NE(root.body.find("\"name\":\"multipart-12MiB.bin\""), std::string::npos) << root.body;
        EXPECT_NE(root.body.find("\"size\":" + std::to_string(12 * kMiB)), std::string::npos) << root.body;
        EXPECT_NE(root.body.find("\"visibility\":\"public\""), std::string::npos) << root.body;
        EXPECT_NE(root.body.find("\"favorite\":true"), std::string::npos) << root.body;
        auto quota = co_await env.req("GET", "/v1/quota", tok);
        EXPECT_EQ(json_int(quota.body, "usedBytes"), static_cast<int64_t>(32 * kMiB)) << quota.body;
        EXPECT_EQ(co_await env.reserved(user), 0);
        EXPECT_EQ(co_await env.leases_of(user), 0);
      },
      [](ServiceConfig& c) {
        c.public_url.clear();  // path-only signed URLs: the browser reaches them at the page's origin
        c.console_vendor_dir = js_dir() + "/node_modules/uppy/dist";
      },
      [origin](ServerOptions& o) { o.cors_origins = {origin}; });
}

}  // namespace
}  // namespace sluice
