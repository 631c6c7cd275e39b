#include "tools/load/multipart_form.h"

namespace sluice::load {

std::string MultipartForm::content_type_header() const { return "multipart/form-data; boundary=" + boundary; }

RequestBody MultipartForm::body(uint64_t file_size) const {
  RequestBody b;
  if (!path_field.empty()) {
    b.prefix += "--" + boundary + "\r\n";
    b.prefix += "Content-Disposition: form-data; name=\"path\"\r\n\r\n";
    b.prefix += path_field + "\r\n";
  }
  b.prefix += "--" + boundary + "\r\n";
  b.prefix += "Content-Disposition: form-data; name=\"" + file_field + "\"; filename=\"" + filename + "\"\r\n";
  b.prefix += "Content-Type: " + content_type + "\r\n\r\n";
  b.pattern_bytes = file_size;
  b.suffix = "\r\n--" + boundary + "--\r\n";
  return b;
}

std::string make_boundary(uint64_t seed) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out = "----sluiceload";
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < 16; ++i) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    out += kAlphabet[x % 62];
  }
  return out;
}

}  // namespace sluice::load
