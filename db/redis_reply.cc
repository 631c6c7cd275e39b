#include "db/redis_reply.h"

namespace sluice {

Error redis_error(std::string_view text) {
  std::string_view prefix = text.substr(0, text.find(' '));
  Errc code = Errc::invalid_argument;
  if (prefix == "NOSCRIPT") {
    code = Errc::not_found;
  } else if (prefix == "NOAUTH" || prefix == "WRONGPASS") {
    code = Errc::unauthenticated;
  } else if (prefix == "NOPERM") {
    code = Errc::permission_denied;
  } else if (prefix == "LOADING" || prefix == "BUSY" || prefix == "MASTERDOWN" || prefix == "TRYAGAIN" ||
             prefix == "CLUSTERDOWN" || prefix == "READONLY") {
    code = Errc::unavailable;
  } else if (prefix == "OOM") {
    code = Errc::limit_exceeded;
  } else if (prefix == "EXECABORT") {
    code = Errc::conflict;
  }
  return Error(code, "Redis: " + std::string(text), std::string(prefix));
}

}  // namespace sluice
