// The data keys of the local store's encrypted objects: a fresh random key (and base nonce) per
// object or part, wrapped under the ring's current master key into the object's envelope.
#pragma once

#include <memory>
#include <optional>

#include "core/result.h"
#include "storage/store/local/master_key_ring.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/segment_cipher.h"

namespace sluice::local {

struct NewSealing {
  Envelope envelope;
  std::unique_ptr<SegmentCipher> cipher;
};

Result<NewSealing> seal_new_object(const MasterKeyRing& ring);

// What a new object's body is written with: `out` is a fresh sealing when `ring` is set (the
// store encrypts), left empty when it is null (plain objects).
Status seal_if_keyed(const MasterKeyRing* ring, std::optional<NewSealing>& out);

// The cipher that opens an existing object's body; null for a plain (version 1) object.
// Errc::internal when the object is encrypted and `ring` is null or cannot unwrap its key.
Result<std::unique_ptr<SegmentCipher>> cipher_for(const MasterKeyRing* ring, const ObjectHeader& header);

}  // namespace sluice::local
