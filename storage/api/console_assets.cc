#include "storage/api/console_assets.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef SLUICE_SOURCE_DIR
#error "SLUICE_SOURCE_DIR (the repository root) must be defined by the build"
#endif

namespace sluice {

namespace {

namespace fs = std::filesystem;

Result<std::string> read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error(Errc::invalid_argument, "cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every regular file of `dir` with a type the console serves (no subdirectories: names are flat).
Result<std::map<std::string, ConsoleAsset, std::less<>>> read_dir(const fs::path& dir,
                                                                   std::initializer_list<std::string_view> only) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error(Errc::invalid_argument, dir.string() + " is not a directory");
  std::map<std::string, ConsoleAsset, std::less<>> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (only.size() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    std::string type = console_content_type(name);
    if (type.empty()) continue;  // source maps, READMEs: not served
    auto body = read_whole(entry.path());
    if (!body.ok()) return std::move(body).error();
    out.emplace(std::move(name), ConsoleAsset{std::move(type), std::move(*body)});
  }
  if (ec) return Error(Errc::invalid_argument, "cannot list " + dir.string() + ": " + ec.message());
  return out;
}

std::string with_version(std::string html, const std::string& version) {
  for (size_t at = html.find("{{v}}"); at != std::string::npos; at = html.find("{{v}}", at + version.size()))
    html.replace(at, 5, version);
  return html;
}

}  // namespace

std::string console_content_type(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  return {};
}

Result<std::shared_ptr<const ConsoleAssets>> ConsoleAssets::load(std::string dir, std::string vendor_dir) {
  if (dir.empty()) dir = SLUICE_SOURCE_DIR "/tools/console";
  if (vendor_dir.empty()) vendor_dir = SLUICE_SOURCE_DIR "/build/node/node_modules/uppy/dist";
  auto out = std::make_shared<ConsoleAssets>();
  auto files = read_dir(dir, {});
  if (!files.ok()) return Error(Errc::invalid_argument, "SLUICE_CONSOLE_DIR: " + files.error().message);
  out->files = std::move(*files);
  auto vendor = read_dir(vendor_dir, {"uppy.min.js", "uppy.min.css"});
  if (!vendor.ok()) return Error(Errc::invalid_argument, "SLUICE_CONSOLE_VENDOR_DIR: " + vendor.error().message);
  out->vendor = std::move(*vendor);
  for (const char* need : {"uppy.min.js", "uppy.min.css"})
    if (!out->vendor.contains(std::string_view(need)))
      return Error(Errc::invalid_argument, "SLUICE_CONSOLE_VENDOR_DIR: " + vendor_dir + " has no " + need +
                                               " (tools/services.sh installs Uppy there)");
  for (const char* need : {"index.html", "share.html"})
    if (!out->files.contains(std::string_view(need)))
      return Error(Errc::invalid_argument, "SLUICE_CONSOLE_DIR: " + dir + " has no " + need);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1)
    return Error(Errc::internal, "SHA-256 is unavailable");
  for (const auto* group : {&out->files, &out->vendor})
    for (const auto& [name, asset] : *group) {
      EVP_DigestUpdate(sha.get(), name.data(), name.size() + 1);  // the NUL separates name from bytes
      EVP_DigestUpdate(sha.get(), asset.body.data(), asset.body.size());
    }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(sha.get(), digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    out->version += kHex[digest[i] >> 4];
    out->version += kHex[digest[i] & 15];
  }
  out->index_html = with_version(out->files.find("index.html")->second.body, out->version);
  out->share_html = with_version(out->files.find("share.html")->second.body, out->version);
  return std::shared_ptr<const ConsoleAssets>(std::move(out));
}

}  // namespace sluice
