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

}  // namespace sluice
