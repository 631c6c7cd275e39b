// Share links (DESIGN §4 "Shares"): the owner's side (create, list, change, revoke) and the
// public side (open a share by its token, count a download, note an access, count wrong
// passwords). HTTP-free: plain values, Result errors with domain reasons. Password hashing is
// not here: callers hash on a WorkerPool (share_password.h) and pass the encoded hash in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/task.h"
#include "db/pg_pool.h"
#include "storage/service/files/file_record.h"

namespace sluice::service {

// A share as its owner sees it (never the token: that exists only in the create answer).
struct ShareInfo {
  std::string id;
  std::string file_id;
  std::optional<std::string> expires_at;
  std::optional<int64_t> max_downloads;
  int64_t download_count = 0;
  bool allow_download = true;
  bool password_required = false;
  std::string note;
  std::string created_at;
  std::optional<std::string> last_accessed_at;
  int64_t created_micros = 0;  // the list's keyset position
};

struct NewShare {
  std::optional<std::string> password_hash;  // Argon2id, encoded
  bool allow_download = true;
  std::optional<int64_t> expires_millis;  // Unix milliseconds
  std::optional<int64_t> max_downloads;
  std::string note;
};

struct CreatedShare {
  ShareInfo share;
  std::string token;
};

// Shares `owner`'s live file. Reason::not_found for a file that is not theirs or is purged,
// Reason::conflict for one in the trash (restore it first).
Task<Result<CreatedShare>> create_share(PgPool& pg, std::string owner, std::string file_id, NewShare s);

struct SharePage {
  std::vector<ShareInfo> items;
  std::optional<std::string> next_cursor;
};

// `owner`'s live shares (of one file when `file_id` is given: Reason::not_found if that file is
// not theirs), newest first, `limit` per page after the opaque `cursor`.
Task<Result<SharePage>> list_shares(PgPool& pg, std::string owner, std::optional<std::string> file_id,
                                    std::optional<std::string> cursor, int limit);

// A field left out stays; an inner nullopt clears it.
struct ShareChange {
  std::optional<std::optional<int64_t>> expires_millis;
  std::optional<std::optional<int64_t>> max_downloads;
  std::optional<std::optional<std::string>> password_hash;  // changing it revokes access tokens
  std::optional<bool> allow_download;
  std::optional<std::string> note;
};

// Reason::not_found (not theirs, revoked), Reason::conflict (a limit below the downloads done).
Task<Result<ShareInfo>> change_share(PgPool& pg, std::string owner, std::string id, ShareChange c);

// Revokes `owner`'s share `id` (event share.revoked). Reason::not_found if there is none live.
Task<Status> revoke_share(PgPool& pg, std::string owner, std::string id);

// ---- public side

struct OpenShare {
  std::string id;
  std::optional<std::string> password_hash;
  int32_t password_version = 0;
  bool allow_download = true;
  std::optional<std::string> expires_at;
  std::optional<int64_t> max_downloads;
  int64_t download_count = 0;
  bool touch_due = false;  // last access over a minute ago
  FileRecord file;
  std::optional<int64_t> downloads_left() const {
    if (!max_downloads) return std::nullopt;
    return *max_downloads - download_count;
  }
};

// The share of a presented link token. Reason::not_found, with one message for every cause
// (unknown, revoked, expired, file trashed or purged); Reason::share_exhausted when its
// download limit is used up.
Task<Result<OpenShare>> open_share(PgPool& pg, std::string token);

// Counts one download (event share.accessed); Reason::share_exhausted when the limit is used
// up (of racing last downloads exactly one passes).
Task<Status> count_share_download(PgPool& pg, std::string share_id);

// Notes an access (at most one write a minute per share).
Task<void> touch_share(PgPool& pg, std::string share_id);

inline constexpr int kUnlockAttemptsPerMinute = 5;

// Counts an unlock attempt against each subject (token hash, client address). Returns 0 when
// the attempt may go on, else the seconds until the limited window ends.
Task<Result<int>> count_unlock_attempt(PgPool& pg, std::vector<std::string> subjects);
// Gives the attempt back (the password was right: only wrong ones are limited).
Task<void> forgive_unlock_attempt(PgPool& pg, std::vector<std::string> subjects);

}  // namespace sluice::service
