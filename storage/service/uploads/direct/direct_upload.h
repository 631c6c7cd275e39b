// DirectUpload: one upload through the data path (DESIGN §3): admission before any body byte
// (slot, account + quota reservation + file row in one statement, per-user lease), then the
// body streamed into the object store, checksums verified, and the commit (file available,
// quota settled, outbox event) in one statement. Destroyed without a commit, it aborts: the
// object is deleted, the row marked failed, the reservation, lease and slot released.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/slot_pool.h"
#include "core/task.h"
#include "storage/service/auth/principal.h"
#include "storage/service/files/file_record.h"
#include "storage/service/files/name_conflict.h"
#include "storage/service/service_context.h"
#include "storage/service/uploads/byte_count.h"
#include "storage/service/uploads/checksum_header.h"

namespace sluice {

struct UploadTarget {
  std::string path = "/";
  std::string name;
  std::string content_type = "application/octet-stream";
  std::string visibility = "private";
  std::optional<ByteCount> size;  // nullopt: unknown (chunked); the tier's max file size is reserved
  // With an unknown size: an upper bound known otherwise (a form body's Content-Length), so
  // min(bound, the tier's max file size) is reserved instead.
  std::optional<ByteCount> size_bound;
  std::vector<std::string> tags;     // set on the row before the body streams
  std::string metadata_json = "{}";  // a JSON object, validated by the caller
  // When a live file already has path + name (DESIGN §4): refuse at admission (fail), purge it
  // when this one commits (replace), or take the first free "name (n).ext" (rename).
  service::OnConflict on_conflict = service::OnConflict::fail;
};

class DirectUpload {
 public:
  DirectUpload(ServiceContext& ctx, Principal who);
  ~DirectUpload();
  DirectUpload(const DirectUpload&) = delete;
  DirectUpload& operator=(const DirectUpload&) = delete;

  // Ok when admitted; otherwise the refusal (nothing is held then): server_busy, the
  // reservation's refusals (reservation_refusal, name_conflict among them), too_many_uploads, or
  // a dependency's error. With onConflict=rename the file's name may differ from the target's.
  Task<Status> admit(UploadTarget target);
  // Streams `body` (exactly the declared size; with an unknown size, at most the reservation)
  // into the store and commits the file with the size received. A body the client did not
  // deliver fails the store's read; the caller knows whose fault that was. A live file that
  // took the name meanwhile: name_conflict (fail), the next free name (rename), or that file
  // purged in the commit's transaction (replace).
  Task<Result<FileRecord>> stream_and_commit(ByteSource& body, ExpectedChecksums expected);

  // How many bytes may be accepted for this upload (the reservation).
  uint64_t reserved_bytes() const { return reserved_; }
  const std::string& file_id() const { return file_id_; }
  const std::string& upload_id() const { return file_id_; }

 private:
  void abort_in_background();
  // The commit statement(s) by target_.on_conflict; the committed row, or no row when the
  // upload was cancelled meanwhile.
  Task<Result<PgResult>> commit_row(int64_t size, std::optional<std::string> md5, std::optional<std::string> sha,
                                    std::string etag);
  Task<Result<PgResult>> commit_replacing(int64_t size, std::optional<std::string> md5,
                                          std::optional<std::string> sha, std::string etag);

  ServiceContext& ctx_;
  Principal who_;
  UploadTarget target_;
  std::string requested_name_;  // the target's name before rename picked a free one
  SlotPool::Slot slot_;
  std::string file_id_;
  std::string object_key_;
  uint64_t reserved_ = 0;
  int max_concurrent_ = 1;  // the tier's per-user upload limit
  bool reserved_ok_ = false;
  bool leased_ = false;
  bool object_written_ = false;
  bool committed_ = false;
};

// What upload_sql::kReserve granted: the bytes reserved, the tier's per-user upload limit and
// the file's name (the target's, or with onConflict=rename the first free numbered one).
struct Reservation {
  uint64_t amount = 0;
  int max_concurrent = 1;
  std::string name;
};

// The quota + file-count reservation and the file row (state 'uploading') for `target`, in one
// statement, creating the caller's account from its tier on first use. The amount is the size
// (at least 1 byte: an empty file reserves one), else min(size_bound, the tier's max file size),
// else the tier's max file size. The name must be free unless target.on_conflict is replace;
// with rename a free one is picked first (one more query; retried if a concurrent upload takes
// it first). Refusals: reservation_refusal's, or a dependency's error.
Task<Result<Reservation>> reserve_upload(PgPool& pg, Principal who, UploadTarget target, std::string file_id,
                                         std::string object_key);

// Why kReserve's row (reserved = false) refused `target`: name_conflict (details: path, name,
// existingFileId), invalid_size, file_too_large, unsupported_media_type, quota_exceeded or
// file_limit_exceeded, with the account's usage in the details.
Error reservation_refusal(const PgResult& row, const UploadTarget& target);

// Random UUID v4 (RFC 9562) text, from OpenSSL's CSPRNG.
std::string new_uuid();
bool looks_like_uuid(std::string_view s);
// u/{user}/{yyyy}/{mm}/{dd}/{file id}: generated by Sluice, never from user input.
std::string object_key_for(const std::string& user, const std::string& file_id, int64_t unix_time);

}  // namespace sluice
