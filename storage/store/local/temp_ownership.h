// Who owns what in the local store's tmp/: each open LocalStore claims tmp/{id}/ for its temp
// files and holds an flock on tmp/{id}.owner for as long as it lives. The kernel drops the lock
// when the process dies (kill -9 included), so a sweeper that can take the lock knows nobody
// writes there any more and removes the directory. Blocking syscalls: start-up, shutdown, or a
// worker thread (LocalStore::sweep_temp_files), never a reactor's request path.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::local {

inline constexpr std::string_view kOwnerLockSuffix = ".owner";
// Loose entries directly in tmp/ come from versions before owner directories; one of those may
// still be writing during a rolling upgrade, so they go only once untouched this long.
inline constexpr int64_t kLooseTempGraceSeconds = 3600;

class TempOwner {
 public:
  TempOwner() = default;
  // Creates and locks tmp/{id}.owner, then creates tmp/{id}/ (in that order: a directory
  // without its lock file is always a dead owner's).
  static Result<TempOwner> claim(int root_fd, std::string_view tmp_dir);
  ~TempOwner();  // removes the directory (and what a failed cleanup left in it), then the lock
  TempOwner(TempOwner&& o) noexcept;
  TempOwner& operator=(TempOwner&& o) noexcept;
  TempOwner(const TempOwner&) = delete;
  TempOwner& operator=(const TempOwner&) = delete;

  // "tmp/{id}", relative to the store's root.
  const std::string& dir() const { return dir_; }

 private:
  void release();

  int root_fd_ = -1;
  int lock_fd_ = -1;
  std::string dir_;
};

struct TempSweep {
  uint64_t entries = 0;  // files and directories removed
  uint64_t bytes = 0;    // sizes of the files among them
};

// Removes from tmp/ every owner directory whose lock nobody holds (and its lock file), every
// directory without a lock file, and loose entries older than kLooseTempGraceSeconds at `now`.
Result<TempSweep> sweep_abandoned_temp(int root_fd, std::string_view tmp_dir, time_t now);

}  // namespace sluice::local
