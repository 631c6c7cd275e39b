#include "storage/service/uploads/tus/tus_checksum.h"

#include <openssl/evp.h>

#include <vector>

#include "storage/service/uploads/tus/tus_metadata.h"

namespace sluice {

namespace {

const EVP_MD* digest_for(std::string_view algorithm) {
  if (algorithm == "sha1") return EVP_sha1();
  if (algorithm == "md5") return EVP_md5();
  if (algorithm == "sha256") return EVP_sha256();
  return nullptr;
}

}  // namespace

Result<TusChecksum> parse_upload_checksum(std::string_view header) {
  size_t space = header.find(' ');
  if (space == std::string_view::npos || space == 0)
    return Error(Errc::invalid_argument, "Upload-Checksum must be '<algorithm> <base64 digest>'");
  TusChecksum c;
  c.algorithm = std::string(header.substr(0, space));
  const EVP_MD* md = digest_for(c.algorithm);
  if (!md)
    return Error(Errc::invalid_argument, "checksum algorithm '" + c.algorithm + "' is not supported; use one of " +
                                        std::string(kTusChecksumAlgorithms));
  auto raw = decode_base64(header.substr(space + 1));
  if (!raw || raw->size() != static_cast<size_t>(EVP_MD_get_size(md)))
    return Error(Errc::invalid_argument, "Upload-Checksum's digest is not the base64 of a " + c.algorithm + " digest");
  c.digest = std::move(*raw);
  return c;
}

void TusChecksumHasher::CtxFree::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

TusChecksumHasher::TusChecksumHasher(const std::string& algorithm) : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_.get(), digest_for(algorithm), nullptr);
}
TusChecksumHasher::~TusChecksumHasher() = default;
TusChecksumHasher::TusChecksumHasher(TusChecksumHasher&&) noexcept = default;

void TusChecksumHasher::update(std::span<const char> data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }

std::string TusChecksumHasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), out, &n);
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace sluice
