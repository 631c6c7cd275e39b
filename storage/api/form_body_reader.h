// FormBodyReader: a multipart/form-data request body as a stream of parser events, reading the
// socket only when the parser has used up the current piece (backpressure: file data is handed
// on straight from the request buffer, never held). FormPartSource turns one file part into the
// ByteSource an object store pulls from.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "core/task.h"
#include "http/http_exchange.h"
#include "http/multipart_reader.h"
#include "storage/store/object_store.h"
#include "storage/service/admission/upload_pace.h"

namespace sluice {

class FormBodyReader {
 public:
  FormBodyReader(HttpExchange& ex, std::string_view boundary, http::MultipartLimits limits)
      : ex_(ex), reader_(boundary, limits) {}

  // The next event other than need_more. Errors are the parser's (malformed form:
  // invalid_argument; a limit: limit_exceeded) or the body's (see client_error()).
  Task<Result<http::MultipartEvent>> next();
  const http::MultipartPart& part() const { return reader_.part(); }
  uint64_t part_bytes() const { return reader_.part_bytes(); }

  // The body's own failure (client gone, idle timeout, body limit, bad chunked framing), kept so
  // the API answers for the client rather than blaming the store.
  const std::optional<Error>& client_error() const { return client_error_; }
  // Records a failure of the body found above the reader (too slow): the client's fault too.
  void fail_client(Error e) {
    if (!client_error_) client_error_ = std::move(e);
    ex_.close_after();  // the rest of the body is not read
  }
  // The form's failure (malformed or over a parser limit), when the parser failed.
  const std::optional<Error>& form_error() const { return form_error_; }

  // After `done`: reads the rest of the body (an ignored epilogue) so the connection stays usable.
  Task<Status> drain();

 private:
  HttpExchange& ex_;
  http::MultipartReader reader_;
  bool finished_ = false;
  std::optional<Error> client_error_;
  std::optional<Error> form_error_;
};

// One file part's content: data events until the part ends (then an empty span, as a
// ByteSource ends). Anything else is an error.
class FormPartSource final : public ByteSource {
 public:
  explicit FormPartSource(FormBodyReader& form) : form_(form) {}
  Task<Result<std::span<const char>>> next() override;

  bool ended() const { return ended_; }
  uint64_t bytes() const { return bytes_; }
  // Renews the upload's leases and enforces the minimum rate as the part arrives.
  void pace(UploadPace* p) { pace_ = p; }

 private:
  FormBodyReader& form_;
  bool ended_ = false;
  uint64_t bytes_ = 0;
  UploadPace* pace_ = nullptr;
};

}  // namespace sluice
