#include "storage/api/form_body_reader.h"

namespace sluice {

using Kind = http::MultipartEvent::Kind;

Task<Result<http::MultipartEvent>> FormBodyReader::next() {
  for (;;) {
    auto ev = reader_.next();
    if (!ev) {
      if (!form_error_ && !client_error_) form_error_ = ev.error();
      co_return std::move(ev).error();
    }
    if (ev->kind != Kind::need_more) co_return *ev;
    if (finished_) {  // cannot happen: a finished reader reports what is missing instead
      co_return Error(Errc::internal, "multipart reader asked for more after the end of the body");
    }
    // The parser used up the previous piece, so replacing it (the exchange's buffer) is safe.
    auto piece = co_await ex_.read_body();
    if (!piece) {
      if (!client_error_) client_error_ = piece.error();
      co_return std::move(piece).error();
    }
    if (piece->empty()) {
      finished_ = true;
      reader_.finish();
    } else {
      reader_.feed(*piece);
    }
  }
}

Task<Status> FormBodyReader::drain() {
  while (!finished_) {
    auto piece = co_await ex_.read_body();
    if (!piece) {
      if (!client_error_) client_error_ = piece.error();
      co_return std::move(piece).error();
    }
    if (piece->empty()) finished_ = true;
  }
  co_return Status();
}

Task<Result<std::span<const char>>> FormPartSource::next() {
  while (!ended_) {
    auto ev = co_await form_.next();
    if (!ev) co_return std::move(ev).error();
    switch (ev->kind) {
      case Kind::data:
        if (ev->data.empty()) continue;  // an empty span would read as the end
        bytes_ += ev->data.size();
        if (pace_) {
          if (Status s = pace_->on_bytes(bytes_); !s.ok()) {
            form_.fail_client(s.error());
            co_return std::move(s).error();
          }
        }
        co_return ev->data;
      case Kind::part_end:
        ended_ = true;
        break;
      default:
        co_return Error(Errc::internal, "multipart reader left a part without ending it");
    }
  }
  co_return std::span<const char>();
}

}  // namespace sluice
