// Result<T>: a value or an Error, the way errors travel on the request path (no exceptions there).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice {

// Broad error kinds; the message carries the specifics a person can act on.
enum class Errc {
  invalid_argument,   // caller gave something malformed
  timeout,            // a deadline passed
  cancelled,          // the operation was cancelled (shutdown, peer gone)
  closed,             // the peer closed the connection
  io_error,           // a syscall failed; message names it
  protocol_error,     // the peer spoke the protocol wrong
  not_found,
  already_exists,
  conflict,           // state does not allow it (e.g. serialization failure)
  limit_exceeded,     // a configured limit was hit
  unavailable,        // a dependency is down or overloaded; retry later
  permission_denied,
  unauthenticated,
  internal,           // a bug or an unexpected state
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;
  // Optional detail code from the peer (errno, SQLSTATE, S3 error code...).
  std::string detail;
  // Set when `message` quotes a peer in words a client must not see (a database's message with
  // the values of a failing row, SQL names): what may be said instead. The API answers this and
  // logs `message` with the request id.
  std::string public_message;
  // Set by the service layer: the machine-readable reason a client can act on
  // ("quota_exceeded", "name_conflict"...; empty: derived from `code`), a JSON object with what
  // the client needs (usage, limits; empty if none), and when a retry may succeed (0: not said).
  // storage/api is the one place that turns them into a status and a JSON error.
  std::string reason;
  std::string details_json;
  int retry_after_s = 0;

  Error() = default;
  Error(Errc c, std::string msg, std::string det = {})
      : code(c), message(std::move(msg)), detail(std::move(det)) {}
};

// Makes an Error from a negative errno returned by a syscall or io_uring, naming what failed.
Error errno_error(std::string_view what, int negative_errno);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(implicit)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sluice
