// MultipartForm: the multipart/form-data framing `sluice-load --mode form` sends: one text field
// ("path") and one file part whose bytes come from the pattern, so Content-Length is known
// before the first byte is sent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tools/load/request_body.h"

namespace sluice::load {

struct MultipartForm {
  std::string boundary;      // without the leading "--"
  std::string path_field;    // value of the "path" field; empty: no field
  std::string file_field = "file";
  std::string filename;
  std::string content_type = "application/octet-stream";

  // "multipart/form-data; boundary=..."
  std::string content_type_header() const;
  // The body for a file of `file_size` bytes: fields and part headers as prefix, the closing
  // delimiter as suffix.
  RequestBody body(uint64_t file_size) const;
};

// A boundary that cannot occur in the pattern's bytes by accident (30 chars, RFC 2046 bchars).
std::string make_boundary(uint64_t seed);

}  // namespace sluice::load
