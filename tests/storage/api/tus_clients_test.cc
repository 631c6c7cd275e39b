// Real tus clients against the service, both stores: tuspy (Debian python3-tuspy) and
// tus-js-client under Node (npm, installed by tools/test into build/node: SLUICE_TUS_JS_DIR).
// Each uploads empty, 1-byte, 5 MiB - 1, 5 MiB + 1 and larger files with several chunk sizes and
// one upload interrupted and resumed by its URL (tus-js-client aborts mid-PATCH, cutting the
// connection); every file is read back byte-exact, and HEAD names the file after the last PATCH.
// SLUICE_TUS_FULL_MATRIX=1 runs the full matrix (64 MiB, chunks of 1, 5 and 7 MiB).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "tests/storage/multipart_env.h"

#ifndef SLUICE_TUS_CLIENTS_DIR
#error "SLUICE_TUS_CLIENTS_DIR (tests/storage/clients) must be defined by the build"
#endif

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::json_int;
using testing::json_str;
using testing::kMiB;
using testing::MpuEnv;
using testing::pattern_bytes;
using testing::token_for;
using testing::with_mpu_env;

struct Case {
  std::string name;
  uint64_t size = 0;
  uint64_t chunk = 0;      // 0: the client's default (one PATCH per file)
  uint64_t interrupt = 0;  // 0: not interrupted
};

std::vector<Case> matrix(bool js) {
  std::vector<Case> out;
  auto add = [&](uint64_t size, uint64_t chunk, uint64_t interrupt = 0) {
    out.push_back(Case{"c" + std::to_string(out.size()) + "-" + std::to_string(size) + "-" + std::to_string(chunk) +
                           ".bin",
                       size, chunk, interrupt});
  };
  const char* full = std::getenv("SLUICE_TUS_FULL_MATRIX");
  if (full && std::string(full) == "1") {
    for (uint64_t size : {uint64_t{0}, uint64_t{1}, 5 * kMiB - 1, 5 * kMiB + 1, 64 * kMiB})
      for (uint64_t chunk : {1 * kMiB, 5 * kMiB, 7 * kMiB}) add(size, chunk);
    add(64 * kMiB, 0);
    add(64 * kMiB, 7 * kMiB, 30 * kMiB);
    return out;
  }
  add(0, 0);
  add(1, 1 * kMiB);
  add(5 * kMiB - 1, 1 * kMiB);
  add(5 * kMiB + 1, 7 * kMiB);
  add(12 * kMiB, 5 * kMiB);
  add(12 * kMiB, 0);
  // Interrupted: tus-js-client aborts its second 5 MiB PATCH mid-body (the connection is cut),
  // tuspy stops between chunks; both resume from HEAD's offset (at least the first chunk's end).
  add(12 * kMiB, 5 * kMiB, js ? 7 * kMiB : 5 * kMiB);
  return out;
}

Task<void> run_client(MpuEnv& env, bool js) {
  std::string user = env.user(js ? "js" : "py"), tok = token_for(user);
  std::vector<Case> cases = matrix(js);
  std::vector<std::string> contents;
  std::string list = "[";
  for (size_t i = 0; i < cases.size(); ++i) {
    contents.push_back(pattern_bytes(cases[i].size, static_cast<unsigned>(i + 1)));
    std::string path = env.dir + "/" + cases[i].name;
    std::ofstream(path, std::ios::binary) << contents.back();
    list += std::string(i ? "," : "") + "{\"name\":\"" + cases[i].name + "\",\"path\":\"" + path +
            "\",\"chunk\":" + std::to_string(cases[i].chunk) + ",\"interrupt\":" + std::to_string(cases[i].interrupt) +
            "}";
  }
  list += "]";
  std::string cases_path = env.dir + (js ? "/js-cases.json" : "/py-cases.json");
  std::ofstream(cases_path) << list;
  std::string endpoint = "http://127.0.0.1:" + std::to_string(env.port()) + "/v1/tus";
  std::string out = env.dir + (js ? "/js.out" : "/py.out"), err = env.dir + (js ? "/js.err" : "/py.err");
  std::vector<std::string> argv;
  std::vector<std::string> extra;
  if (js) {
    const char* dir = std::getenv("SLUICE_TUS_JS_DIR");
    EXPECT_TRUE(dir && *dir) << "SLUICE_TUS_JS_DIR is not set (tools/test installs tus-js-client there)";
    if (!dir || !*dir) co_return;
    extra.push_back(std::string("SLUICE_TUS_JS_DIR=") + dir);
    argv = {"node", SLUICE_TUS_CLIENTS_DIR "/tus_js_client.mjs", endpoint, tok, cases_path};
  } else {
    argv = {"/usr/bin/python3", SLUICE_TUS_CLIENTS_DIR "/tus_tuspy.py", endpoint, tok, cases_path};
  }
  auto child = testing::spawn_process(argv, extra, out, err);
  EXPECT_TRUE(child.ok());
  if (!child.ok()) co_return;
  int status = co_await testing::wait_exit(env.r, std::move(*child));
  EXPECT_EQ(status, 0) << "client failed; stderr:\n" << testing::read_file(err);
  std::string lines = testing::read_file(out);
  std::cout << (js ? "tus-js-client" : "tuspy") << " on " << env.store_kind << ":\n" << lines;
  size_t pos = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    size_t nl = lines.find('\n', pos);
    std::string line = lines.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? lines.size() : nl + 1;
    EXPECT_EQ(json_str(line, "name"), cases[i].name) << line;
    std::string file = json_str(line, "headFileId");
    EXPECT_FALSE(file.empty()) << cases[i].name << ": " << line;
    if (cases[i].size > 0) {
      EXPECT_EQ(json_str(line, "fileId"), file) << cases[i].name << " (last PATCH)";
    }
    EXPECT_EQ(json_str(line, "offset"), std::to_string(cases[i].size)) << cases[i].name;
    if (cases[i].interrupt) {  // resumed from where the first attempt's acknowledged bytes ended
      int64_t from = json_int(line, "resumedFrom");
      EXPECT_GE(from, static_cast<int64_t>(cases[i].chunk)) << line;
      EXPECT_LT(from, static_cast<int64_t>(cases[i].size)) << line;
    }
    auto down = co_await env.req("GET", "/v1/files/" + file + "/content", tok);
    EXPECT_EQ(down.status, 200) << cases[i].name;
    EXPECT_EQ(down.body.size(), contents[i].size()) << cases[i].name;
    EXPECT_TRUE(down.body == contents[i]) << cases[i].name << ": bytes differ";
  }
  EXPECT_EQ(co_await env.reserved(user), 0);
  EXPECT_EQ(co_await env.leases_of(user), 0);
}

class TusClients : public ::testing::TestWithParam<std::string> {};

TEST_P(TusClients, TuspyUploadsByteExact) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> { co_await run_client(env, false); });
}

TEST_P(TusClients, TusJsClientUploadsByteExact) {
  with_mpu_env(GetParam(), [](MpuEnv& env) -> Task<void> { co_await run_client(env, true); });
}

INSTANTIATE_TEST_SUITE_P(Stores, TusClients, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace sluice
