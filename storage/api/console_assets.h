// ConsoleAssets: the web console's static files (tools/console/) and the vendored Uppy bundle,
// read into memory once at start-up so serving them never touches the disk on a reactor.
// Every file is addressed under a version (a hash of all the files), so it can be cached forever.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace sluice {

struct ConsoleAsset {
  std::string content_type;
  std::string body;
};

struct ConsoleAssets {
  std::string version;  // 16 hex digits of SHA-256 over every file's name and bytes
  std::map<std::string, ConsoleAsset, std::less<>> files;   // tools/console/*, by file name
  std::map<std::string, ConsoleAsset, std::less<>> vendor;  // Uppy's dist files, by file name
  std::string index_html;  // index.html with "{{v}}" replaced by the version
  std::string share_html;  // share.html likewise: the page of /s/{token}

  // Start-up only (blocking reads). `dir` must hold index.html and share.html; `vendor_dir` the
  // Uppy bundle (uppy.min.js, uppy.min.css). Empty arguments mean the source tree's defaults.
  static Result<std::shared_ptr<const ConsoleAssets>> load(std::string dir, std::string vendor_dir);
};

// The Content-Type of a console file from its extension ("" for one the console does not serve).
std::string console_content_type(std::string_view name);

}  // namespace sluice
