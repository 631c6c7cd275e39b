// Request-head parsing throughput for a typical upload request, next to a bare scan of the same
// bytes for the end of the head (memmem "\r\n\r\n") as the reference floor.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "http/request_parser.h"

namespace {

const std::string kUploadHead =
    "PUT /v1/files/content?path=%2Fprojects%2F2026%2Freports&name=quarterly-report-final.pdf HTTP/1.1\r\n"
    "Host: uploads.example.com\r\n"
    "User-Agent: sluice-client/1.4 (linux; x86_64)\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1Iiwicm9sZSI6InVzZXIiLCJ0aWVyIjoicHJvIiwiZXhwIjoxNzk1NDMzOTUxfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMzItYnl0ZXMtbG9uZw\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Length: 10485760\r\n"
    "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n"
    "X-Visibility: private\r\n"
    "Expect: 100-continue\r\n"
    "Accept: application/json\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

void BM_ParseUploadHead(benchmark::State& state) {
  sluice::RequestParser parser;
  // Each iteration parses the head of a new request on the same connection (keep-alive), then
  // ends it: a Content-Length: 0 variant keeps the parser ready for the next head.
  std::string head = kUploadHead;
  head.replace(head.find("Content-Length: 10485760"), 24, "Content-Length: 0       ");
  std::span<const char> in(head.data(), head.size());
  for (auto _ : state) {
    auto step = parser.feed(in);
    benchmark::DoNotOptimize(step);
    auto end = parser.feed(in.subspan(step.consumed));  // message complete
    benchmark::DoNotOptimize(end);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(head.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseUploadHead);

void BM_ScanForHeadEnd(benchmark::State& state) {
  for (auto _ : state) {
    const void* p = memmem(kUploadHead.data(), kUploadHead.size(), "\r\n\r\n", 4);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kUploadHead.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScanForHeadEnd);

}  // namespace

BENCHMARK_MAIN();
