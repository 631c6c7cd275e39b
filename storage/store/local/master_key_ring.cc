#include "storage/store/local/master_key_ring.h"

#include <dirent.h>
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace sluice::local {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Result<MasterKey> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Errc::invalid_argument, "cannot read master key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = parse_master_key(ss.str());
  if (!key.ok()) return Error(Errc::invalid_argument, "master key file " + path + ": " + key.error().message);
  return key;
}

std::string key_id_of(std::string_view file_name) {
  if (auto slash = file_name.rfind('/'); slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  if (file_name.ends_with(".key")) file_name.remove_suffix(4);
  return std::string(file_name);
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-256 key wrap (RFC 3394) one way or the other; false when the integrity check fails.
bool key_wrap(bool wrap, const MasterKey& kek, const unsigned char* in, int in_len, unsigned char* out, int out_len) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr, wrap ? 1 : 0) != 1) return false;
  int n = 0;
  if (EVP_CipherUpdate(ctx.get(), out, &n, in, in_len) != 1 || n != out_len) return false;
  int tail = 0;
  return EVP_CipherFinal_ex(ctx.get(), out + n, &tail) == 1 && tail == 0;
}

}  // namespace

Result<MasterKey> parse_master_key(std::string_view text) {
  text = trim(text);
  if (text.size() != 2 * kMasterKeyBytes)
    return Error(Errc::invalid_argument, "a master key is 64 hex digits (32 bytes), got " +
                                             std::to_string(text.size()) + " characters");
  MasterKey key;
  for (size_t i = 0; i < key.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return Error(Errc::invalid_argument, "a master key is 64 hex digits; found a non-hex one");
    key[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return key;
}

Status MasterKeyRing::validate_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdBytes)
    return Error(Errc::invalid_argument, "a master key id is 1.." + std::to_string(kMaxKeyIdBytes) + " bytes");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return Error(Errc::invalid_argument, "a master key id may hold only [A-Za-z0-9._-], got '" + std::string(id) + "'");
  }
  return {};
}

Result<MasterKeyRing> MasterKeyRing::load(const std::string& current_file, const std::string& older_dir) {
  MasterKeyRing ring;
  auto current = read_key_file(current_file);
  if (!current.ok()) return std::move(current).error();
  if (Status s = ring.add(key_id_of(current_file), *current); !s.ok()) return s.error();
  if (older_dir.empty()) return ring;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(older_dir.c_str()), ::closedir);
  if (!dir) return Error(Errc::invalid_argument, "cannot open master keys directory " + older_dir);
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (!name.ends_with(".key")) continue;
    std::string id = key_id_of(name);
    if (ring.has(id)) continue;  // the current key may live in the same directory
    auto key = read_key_file(older_dir + "/" + std::string(name));
    if (!key.ok()) return std::move(key).error();
    if (Status s = ring.add(id, *key); !s.ok()) return s.error();
  }
  return ring;
}

Status MasterKeyRing::add(std::string id, const MasterKey& key) {
  if (Status s = validate_key_id(id); !s.ok()) return s;
  if (current_id_.empty()) current_id_ = id;
  keys_[std::move(id)] = key;
  return {};
}

Status MasterKeyRing::set_current(const std::string& id) {
  if (!has(id)) return Error(Errc::invalid_argument, "no master key with id " + id);
  current_id_ = id;
  return {};
}

Result<WrappedKey> MasterKeyRing::wrap(const DataKey& key) const {
  auto kek = keys_.find(current_id_);
  if (kek == keys_.end()) return Error(Errc::internal, "no current master key");
  WrappedKey out;
  if (!key_wrap(true, kek->second, key.data(), static_cast<int>(key.size()), out.data(), static_cast<int>(out.size())))
    return Error(Errc::internal, "AES key wrap failed");
  return out;
}

Result<DataKey> MasterKeyRing::unwrap(const std::string& id, const WrappedKey& wrapped) const {
  auto kek = keys_.find(id);
  if (kek == keys_.end())
    return Error(Errc::internal, "object is encrypted under master key id '" + id + "', which is not configured");
  DataKey out;
  if (!key_wrap(false, kek->second, wrapped.data(), static_cast<int>(wrapped.size()), out.data(),
                static_cast<int>(out.size())))
    return Error(Errc::internal, "object's data key does not unwrap under master key id '" + id +
                                     "' (a different key with that id, or a damaged header)");
  return out;
}

}  // namespace sluice::local
