#include "core/result.h"

#include <cerrno>
#include <cstring>

namespace sluice {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::timeout: return "timeout";
    case Errc::cancelled: return "cancelled";
    case Errc::closed: return "closed";
    case Errc::io_error: return "io_error";
    case Errc::protocol_error: return "protocol_error";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::limit_exceeded: return "limit_exceeded";
    case Errc::unavailable: return "unavailable";
    case Errc::permission_denied: return "permission_denied";
    case Errc::unauthenticated: return "unauthenticated";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

Error errno_error(std::string_view what, int negative_errno) {
  int e = negative_errno < 0 ? -negative_errno : negative_errno;
  Errc code = Errc::io_error;
  if (e == ETIME || e == ETIMEDOUT) code = Errc::timeout;
  else if (e == ECANCELED) code = Errc::cancelled;
  else if (e == ECONNRESET || e == EPIPE || e == ECONNABORTED) code = Errc::closed;
  else if (e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH) code = Errc::unavailable;
  // A full disk or quota is a shortage that passes (space is freed, a volume grows): the
  // caller may retry later, as with a dependency that is down.
  else if (e == ENOSPC || e == EDQUOT) code = Errc::unavailable;
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(e);
  return Error(code, std::move(msg), std::to_string(e));
}

}  // namespace sluice
