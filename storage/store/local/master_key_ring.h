// MasterKeyRing: the master keys that wrap the local store's per-object data keys (AES-256 key
// wrap, RFC 3394). New objects are wrapped under the current key; older keys stay in the ring so
// objects wrapped under them read during a rotation (`sluice rekey` moves them to the current one).
// Immutable once loaded: shared read-only by every core's store.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::local {

inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kWrappedKeyBytes = kDataKeyBytes + 8;  // AES key wrap adds 8 bytes
inline constexpr size_t kMaxKeyIdBytes = 64;

using MasterKey = std::array<unsigned char, kMasterKeyBytes>;
using DataKey = std::array<unsigned char, kDataKeyBytes>;
using WrappedKey = std::array<unsigned char, kWrappedKeyBytes>;

class MasterKeyRing {
 public:
  // Key ids: 1..64 bytes of [A-Za-z0-9._-] (they name files and go into object headers).
  static Status validate_key_id(std::string_view id);
  // The current key from `current_file` (its id: the file name without a trailing ".key"), plus
  // every "<id>.key" in `older_dir` when set. Files hold 32 bytes as 64 hex digits (whitespace
  // around them ignored). Blocking: start-up and tools only.
  static Result<MasterKeyRing> load(const std::string& current_file, const std::string& older_dir = {});

  // Adds a key; the first one added is current until set_current.
  Status add(std::string id, const MasterKey& key);
  Status set_current(const std::string& id);
  const std::string& current_id() const { return current_id_; }
  bool has(const std::string& id) const { return keys_.contains(id); }

  Result<WrappedKey> wrap(const DataKey& key) const;  // under the current key
  // Errc::internal when `id` is not in the ring or the wrapped bytes do not unwrap under it
  // (a wrong master key, or a damaged header).
  Result<DataKey> unwrap(const std::string& id, const WrappedKey& wrapped) const;

 private:
  std::map<std::string, MasterKey> keys_;
  std::string current_id_;
};

// Parses 64 hex digits (surrounding whitespace ignored) into a master key.
Result<MasterKey> parse_master_key(std::string_view text);

}  // namespace sluice::local
