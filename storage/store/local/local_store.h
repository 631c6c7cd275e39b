// LocalStore: the ObjectStore on a local directory, Sluice's zero-setup default. All file I/O
// goes through the reactor's io_uring; objects are written to root/tmp and renamed into
// root/objects on commit, so a failed put leaves nothing. One instance per core; several
// instances (cores, processes) may share one root.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/directory.h"
#include "core/worker_pool.h"
#include "core/reactor.h"
#include "storage/store/local/master_key_ring.h"
#include "storage/store/local/temp_ownership.h"
#include "storage/store/local/upload_layout.h"
#include "storage/store/local/url_signer.h"
#include "storage/store/object_store.h"
#include "storage/store/stream_digest.h"

namespace sluice::local {

// Sub-directories of the root; tmp/ shares the filesystem so renames out of it are atomic.
inline constexpr std::string_view kObjectsDir = "objects";
inline constexpr std::string_view kTmpDir = "tmp";

enum class FsyncPolicy {
  none,       // rely on the page cache; a crash may lose recent objects
  on_commit,  // fsync the file before the rename publishes it, and the directory after
};

struct LocalStoreOptions {
  std::string root;  // created if missing
  FsyncPolicy fsync = FsyncPolicy::on_commit;
  size_t chunk_size = 256 * 1024;            // the fixed buffer of a get or a multipart join
  uint64_t min_part_size = 5 * 1024 * 1024;  // every part but the last (S3's EntityTooSmall)
  LocalUrlSignerOptions urls;
  // Set: every object and part written from now on is encrypted (segment_cipher.h) under a data
  // key wrapped by the ring's current master key. Needed too to read objects already encrypted.
  std::shared_ptr<const MasterKeyRing> keys;
};

// What rekey_object did to one object.
enum class RekeyOutcome { rewrapped, already_current, plain };

class LocalStore final : public ObjectStore {
 public:
  // Creates root/{objects,tmp,uploads} when missing, opens the root, sweeps tmp/ of what dead
  // processes left (temp_ownership.h) and claims this store's own tmp/{id}/. Blocking: start-up only.
  static Result<std::unique_ptr<LocalStore>> open(Reactor& reactor, LocalStoreOptions options);
  ~LocalStore() override;
  LocalStore(const LocalStore&) = delete;
  LocalStore& operator=(const LocalStore&) = delete;

  Task<Result<PutResult>> put(std::string key, uint64_t size, ByteSource& body, PutOptions opts) override;
  Task<Result<PutResult>> put_unknown_size(std::string key, uint64_t max_size, ByteSource& body,
                                           PutOptions opts) override;

  Task<Result<std::string>> create_multipart(std::string key, std::string content_type) override;
  Task<Result<PartInfo>> upload_part(std::string key, std::string upload_id, int part_number, uint64_t size,
                                     ByteSource& body, PutOptions opts) override;
  // Errc::invalid_argument with detail InvalidPart / InvalidPartOrder / EntityTooSmall, as S3.
  Task<Result<std::string>> complete_multipart(std::string key, std::string upload_id,
                                               std::vector<PartInfo> parts) override;
  Task<Status> abort_multipart(std::string key, std::string upload_id) override;
  Task<Result<std::vector<PartInfo>>> list_parts(std::string key, std::string upload_id) override;
  // Ops-only (janitor, tests): lists root/uploads with a blocking getdents64 (dir_listing.h).
  Task<Result<std::vector<MultipartUploadRef>>> list_multipart_uploads(std::string prefix) override;

  Task<Result<ObjectInfo>> get(std::string key, std::optional<ByteRange> range, ByteSink& sink) override;
  Task<Result<ObjectInfo>> head(std::string key) override;
  Task<Status> remove(std::string key) override;
  // Ops-only (janitor, tests): walks the tree below the prefix with blocking getdents64. Sorted.
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  Task<Status> probe(Deadline deadline) override;
  // Removes what dead owners left in tmp/ (temp_ownership.h), on a worker thread of its own.
  Task<Result<uint64_t>> sweep_temp_files() override;

  Result<PresignedUrl> presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                               int part_number, int64_t expires_seconds, int64_t now_unix,
                               std::optional<uint64_t> content_length = std::nullopt) override;
  Result<PresignedUrl> presign_get(const std::string& key, int64_t expires_seconds, int64_t now_unix,
                                   const ResponseOverrides& overrides) override;

  // Ops-only (`sluice rekey`): rewraps the object's data key under the ring's current master key,
  // rewriting only its envelope (the body stays as it is). Blocking-free but not atomic against
  // a concurrent put of the same key: that put's object simply keeps the key it was written with.
  Task<Result<RekeyOutcome>> rekey_object(std::string key);

  // What the HTTP route serving presigned URLs verifies them with.
  const LocalUrlSigner& url_signer() const { return signer_; }
  const LocalStoreOptions& options() const { return options_; }
  // "tmp/{id}": where this store's temp files go (tests look inside).
  const std::string& temp_dir() const { return owner_.dir(); }

 private:
  // A body written to a temp file, header included, ready to be renamed into place.
  struct Staged {
    std::string tmp_path;
    uint64_t size = 0;
    StreamDigestResult digest;
  };
  LocalStore(Reactor& reactor, LocalStoreOptions options, int root_fd, TempOwner owner);

  // A fresh, unique path in this store's temp directory (128 random bits), relative to the root.
  std::string temp_path(std::string_view suffix = {}) const;

  // Writes exactly `size` bytes of the body to a temp file.
  Task<Result<Staged>> stage(uint64_t size, ByteSource& body, bool want_sha256, std::string content_type);
  // The same, or when not `exact`, at most `size` bytes (the limit of a body of unknown length).
  Task<Result<Staged>> stage_body(uint64_t size, bool exact, ByteSource& body, bool want_sha256,
                                  std::string content_type);
  Task<Result<PutResult>> put_staged(std::string key, uint64_t size, bool exact, ByteSource& body, PutOptions opts);
  Task<Status> publish(std::string tmp_path, std::string dest, bool create_parents);
  Task<Result<UploadMeta>> read_upload_meta(std::string key, std::string upload_id);
  Task<Result<std::vector<PartInfo>>> read_part_index(std::string index_path);
  Task<Status> write_part_slot(std::string upload_id, PartInfo part);
  Task<Status> join_parts(std::string upload_id, std::vector<PartInfo> parts, std::string tmp_path,
                          std::string etag, uint64_t total, std::string content_type);
  Task<Status> remove_upload(std::string upload_id);

  Reactor& reactor_;
  LocalStoreOptions options_;
  int root_fd_;
  Directory root_;
  LocalUrlSigner signer_;
  TempOwner owner_;
  std::unique_ptr<WorkerPool> sweeper_;  // made on the first sweep: one idle thread per core otherwise
};

}  // namespace sluice::local
