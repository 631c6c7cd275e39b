#include "storage/api/request_body_source.h"

namespace sluice {

Task<Result<std::span<const char>>> RequestBodySource::next() {
  auto chunk = co_await ex_.read_body();
  if (!chunk.ok()) {
    if (!error_) error_ = chunk.error();
    co_return std::move(chunk).error();
  }
  bytes_ += chunk->size();
  if (pace_) {
    if (Status s = pace_->on_bytes(bytes_); !s.ok()) {
      error_ = s.error();  // too slow: the client's fault (408), and the rest is not read
      ex_.close_after();
      co_return std::move(s).error();
    }
  }
  co_return *chunk;
}

std::vector<std::pair<std::string, std::string>> content_headers(const std::string& content_type, const std::string& etag,
                                                                 const std::string& disposition, bool partial,
                                                                 uint64_t first, uint64_t range_size,
                                                                 uint64_t total_size) {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("Content-Type", content_type.empty() ? std::string("application/octet-stream") : content_type);
  h.emplace_back("Accept-Ranges", std::string("bytes"));
  if (!etag.empty()) h.emplace_back("ETag", "\"" + etag + "\"");
  if (!disposition.empty()) h.emplace_back("Content-Disposition", disposition);
  if (partial) {
    uint64_t last = range_size == 0 ? first : first + range_size - 1;
    h.emplace_back("Content-Range",
                   "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(total_size));
  }
  return h;
}

Task<Status> ExchangeSink::begin(uint64_t range_size, uint64_t total_size, const std::string& etag,
                                 const std::string& content_type) {
  started_ = true;
  auto h = content_headers(content_type, etag, disposition_, partial_, first_, range_size, total_size);
  co_return co_await ex_.begin(partial_ ? 206 : 200, std::move(h), range_size);
}

Task<Status> ExchangeSink::write(std::span<const char> data) { co_return co_await ex_.write(data); }

}  // namespace sluice
