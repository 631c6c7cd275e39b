#include "storage/api/media_type.h"

namespace sluice {

bool valid_media_type(std::string_view ct) {
  if (ct.empty() || ct.size() > 255 || ct.find('/') == std::string_view::npos) return false;
  for (unsigned char c : ct)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

}  // namespace sluice
