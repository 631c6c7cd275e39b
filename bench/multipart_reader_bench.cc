// MultipartReader throughput on one 16 MiB file part fed in 64 KiB pieces, next to plain scans of
// the same bytes for the delimiter (memchr for CR plus compare; std::string_view::find) that
// bound what any boundary search can do.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "http/multipart_reader.h"

namespace {

constexpr std::string_view kBoundary = "------------------------d74496d66958873e";
constexpr std::size_t kFileSize = 16 << 20;
constexpr std::size_t kPiece = 64 << 10;

const std::string& body() {
  static const std::string b = [] {
    std::string s = "--" + std::string(kBoundary) +
                    "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n";
    std::mt19937_64 rng(1);  // random bytes: a CR every 256 bytes on average, like compressed data
    for (std::size_t i = 0; i < kFileSize; i += 8) {
      std::uint64_t v = rng();
      s.append(reinterpret_cast<const char*>(&v), 8);
    }
    s += "\r\n--" + std::string(kBoundary) + "--\r\n";
    return s;
  }();
  return b;
}

void BM_MultipartReader(benchmark::State& state) {
  const std::string& b = body();
  for (auto _ : state) {
    sluice::http::MultipartReader reader(kBoundary);
    std::size_t offset = 0;
    std::size_t content = 0;
    for (bool done = false; !done;) {
      auto ev = reader.next();
      if (!ev.ok()) {
        state.SkipWithError(ev.error().message.c_str());
        return;
      }
      switch (ev->kind) {
        case sluice::http::MultipartEvent::Kind::need_more: {
          std::size_t n = std::min(kPiece, b.size() - offset);
          reader.feed(std::string_view(b).substr(offset, n));
          offset += n;
          break;
        }
        case sluice::http::MultipartEvent::Kind::data: content += ev->data.size(); break;
        case sluice::http::MultipartEvent::Kind::done: done = true; break;
        default: break;
      }
    }
    if (content != kFileSize) state.SkipWithError("wrong content size");
    benchmark::DoNotOptimize(content);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_MultipartReader)->Unit(benchmark::kMillisecond);

// Reference: find the delimiter in each piece with std::string_view::find (ignores piece edges).
void BM_StringViewFind(benchmark::State& state) {
  const std::string& b = body();
  const std::string delimiter = "\r\n--" + std::string(kBoundary);
  for (auto _ : state) {
    std::size_t found = 0;
    for (std::size_t offset = 0; offset < b.size(); offset += kPiece) {
      std::string_view piece = std::string_view(b).substr(offset, kPiece);
      for (std::size_t at = piece.find(delimiter); at != std::string_view::npos; at = piece.find(delimiter, at + 1)) {
        ++found;
      }
    }
    benchmark::DoNotOptimize(found);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_StringViewFind)->Unit(benchmark::kMillisecond);

// Reference: memchr for CR, then compare the delimiter there (the reader's inner loop, bare).
void BM_MemchrScan(benchmark::State& state) {
  const std::string& b = body();
  const std::string delimiter = "\r\n--" + std::string(kBoundary);
  for (auto _ : state) {
    std::size_t found = 0;
    for (std::size_t offset = 0; offset < b.size(); offset += kPiece) {
      const char* p = b.data() + offset;
      const char* end = b.data() + std::min(b.size(), offset + kPiece);
      while ((p = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)))) != nullptr) {
        if (static_cast<std::size_t>(end - p) >= delimiter.size() &&
            std::memcmp(p, delimiter.data(), delimiter.size()) == 0) {
          ++found;
        }
        ++p;
      }
    }
    benchmark::DoNotOptimize(found);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_MemchrScan)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
