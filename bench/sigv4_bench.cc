// SigV4 cost per request: Authorization-header signatures and presigned URLs per second, with
// the per-day signing key cached (the steady state) and derived every time (worst case).
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "storage/store/s3/sigv4.h"

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using sluice::s3::SigV4Param;
using sluice::s3::SigV4Request;
using sluice::s3::SigV4Signer;

const sys_seconds kTime = sys_days{2024y / March / 1} + 12h;

SigV4Signer make_signer() {
  return SigV4Signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
                     "us-east-1");
}

// An UploadPart request: the hot path of a multipart upload.
void BM_SignHeadersUploadPart(benchmark::State& state) {
  auto signer = make_signer();
  std::vector<SigV4Param> query = {{"partNumber", "17"}, {"uploadId", "VXBsb2FkIElEIGZvciBteS1tb3ZpZS5tMnRz"}};
  std::vector<SigV4Param> headers = {{"Content-Type", "application/octet-stream"},
                                     {"Content-Length", "8388608"}};
  SigV4Request req{.method = "PUT", .host = "uploads.s3.us-east-1.amazonaws.com",
                   .path = "/tenants/42/files/2024/03/01/3f9a1c0e-report final.pdf",
                   .query = query, .headers = headers,
                   .payload_hash = sluice::s3::kUnsignedPayload, .timestamp = kTime};
  for (auto _ : state) {
    auto h = signer.sign_headers(req);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignHeadersUploadPart);

void BM_SignHeadersColdKey(benchmark::State& state) {
  auto signer = make_signer();
  SigV4Request req{.method = "GET", .host = "uploads.s3.us-east-1.amazonaws.com",
                   .path = "/tenants/42/files/a.bin", .timestamp = kTime};
  int64_t day = 0;
  for (auto _ : state) {
    req.timestamp = kTime + days(day++ & 1);  // alternate days: every call derives the key
    auto h = signer.sign_headers(req);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignHeadersColdKey);

void BM_Presign(benchmark::State& state) {
  auto signer = make_signer();
  for (auto _ : state) {
    auto qs = signer.presign("GET", "uploads.s3.us-east-1.amazonaws.com",
                             "/tenants/42/files/2024/03/01/3f9a1c0e-report final.pdf", {}, 900, kTime);
    benchmark::DoNotOptimize(qs);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Presign);

}  // namespace

BENCHMARK_MAIN();
