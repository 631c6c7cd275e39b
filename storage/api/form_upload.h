// POST /v1/files: uploads sent as multipart/form-data (browsers, `curl -F`). Text fields
// (path, visibility, tags, metadata, onConflict; ?onConflict= too) apply to the file parts after
// them; each file part is its own upload (admission, then its bytes streamed from the request buffer into the store, then
// the commit). Files committed before a failure stay committed and are listed in the error.
#pragma once

#include <cstddef>
#include <cstdint>

#include "http/multipart_reader.h"
#include "http/router.h"
#include "storage/api/form_fields.h"
#include "storage/service/service_context.h"

namespace sluice {

struct FormUploadOptions {
  size_t max_files = 20;  // file parts per request
  http::MultipartLimits parts;  // part count, header block size and count
  FormFieldLimits fields;
  // Body bytes that are not file content (fields, part headers, delimiters, preamble and
  // epilogue); the body's limit is this plus the reservations of its files.
  uint64_t max_non_file_bytes = 8ull << 20;
};

void add_form_upload_route(Router& router, ServiceContexts* contexts, FormUploadOptions options = {});

}  // namespace sluice
