// RequestBodySource: a request's body as the ByteSource an object store pulls from, one buffer
// at a time (the connection reads the socket only when the store asks: backpressure). It keeps
// the first error so the API can answer for the client's fault (408, 413, 400) rather than the
// store's; and it reports progress so leases are renewed while bytes flow.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/http_exchange.h"
#include "storage/store/object_store.h"
#include "storage/service/admission/upload_pace.h"

namespace sluice {

class RequestBodySource final : public ByteSource {
 public:
  explicit RequestBodySource(HttpExchange& ex) : ex_(ex) {}
  Task<Result<std::span<const char>>> next() override;

  uint64_t bytes() const { return bytes_; }
  const std::optional<Error>& client_error() const { return error_; }
  // Renews the upload's leases and enforces the minimum rate as the body arrives.
  void pace(UploadPace* p) { pace_ = p; }

 private:
  HttpExchange& ex_;
  uint64_t bytes_ = 0;
  UploadPace* pace_ = nullptr;
  std::optional<Error> error_;
};

// The headers of a content response (200, or 206 with Content-Range when `partial`, for
// `range_size` bytes from `first` of `total_size`): what GET sends before the bytes and HEAD
// answers alone.
std::vector<std::pair<std::string, std::string>> content_headers(const std::string& content_type, const std::string& etag,
                                                                 const std::string& disposition, bool partial,
                                                                 uint64_t first, uint64_t range_size,
                                                                 uint64_t total_size);

// ExchangeSink: writes an object read from the store as the HTTP response (200, or 206 with
// Content-Range when a range was asked for).
class ExchangeSink final : public ByteSink {
 public:
  ExchangeSink(HttpExchange& ex, bool partial, std::string disposition)
      : ex_(ex), partial_(partial), disposition_(std::move(disposition)) {}
  Task<Status> begin(uint64_t range_size, uint64_t total_size, const std::string& etag,
                     const std::string& content_type) override;
  Task<Status> write(std::span<const char> data) override;
  bool started() const { return started_; }
  void set_range_first(uint64_t first) { first_ = first; }

 private:
  HttpExchange& ex_;
  bool partial_;
  std::string disposition_;
  uint64_t first_ = 0;
  bool started_ = false;
};

}  // namespace sluice
