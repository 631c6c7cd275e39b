#include "storage/api/media_type.h"

#include "core/utf8.h"

namespace sluice {

bool valid_media_type(std::string_view ct) {
  if (ct.empty() || ct.size() > 255 || ct.find('/') == std::string_view::npos) return false;
  for (unsigned char c : ct)
    if (c < 0x20 || c == 0x7F) return false;
  return valid_utf8(ct);  // stored in PostgreSQL, which refuses ill-formed UTF-8 with an error
}

}  // namespace sluice
