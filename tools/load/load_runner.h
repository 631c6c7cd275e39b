// LoadRunner: one reactor thread's share of a load run: its connections (closed loop: one
// worker per connection doing uploads back to back; open loop: uploads started on a schedule,
// each taking an idle connection or opening one), the upload recipes of each mode, and the
// thread's LoadStats.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/reactor.h"
#include "core/task.h"
#include "tools/load/load_options.h"
#include "tools/load/load_stats.h"
#include "tools/load/upload_client.h"
#include "tools/load/upload_replies.h"

namespace sluice::load {

// Read-only after start-up; shared by every thread.
struct LoadPlan {
  LoadOptions options;
  ClientConfig client;
  std::string host_header;
  std::vector<std::string> tokens;  // one per user; empty with --no-auth
  std::string run_id;
  Deadline start{};
  Deadline stop_at = kNoDeadline;   // no new uploads start after this
  // Set from a signal handler (SIGINT / SIGTERM): stop starting uploads, finish, report.
  const std::atomic<bool>* interrupted = nullptr;
  std::vector<AckedUpload> records;  // check mode: upload `seq` reads back records[seq]
};

class LoadRunner {
 public:
  LoadRunner(Reactor& r, const LoadPlan& plan, unsigned thread_index, unsigned threads, LoadStats& stats);

  // Runs this thread's share to the end (stop time or count), then closes every connection.
  Task<void> run();

 private:
  struct Step {
    Phase phase;
    bool final;       // the status must be in --expect-status (else any 2xx)
    bool has_file;    // the body carries file bytes (records commit latency)
  };

  bool stopping() const;
  bool take_job(uint64_t* seq);
  Task<void> closed_worker();
  Task<void> open_dispatch();
  Task<void> open_job(std::unique_ptr<UploadClient> client, uint64_t seq, Deadline intended);
  // One upload (or GET) of the configured mode, recorded in stats_; true on success.
  Task<bool> run_job(UploadClient& c, uint64_t seq, Deadline intended);
  Task<bool> multipart_job(UploadClient& c, uint64_t seq, uint64_t size, unsigned user, std::string* reply);
  Task<void> verify(UploadClient& c, std::string reply, uint64_t size, unsigned user);
  // GETs the file and compares it with the pattern; true when every byte matched.
  Task<bool> verify_file(UploadClient& c, std::string id, uint64_t size, unsigned user);
  // Sends one request, retrying once on a fresh connection when a reused one was found dead.
  Task<std::optional<Exchange>> step(UploadClient& c, std::string head, const RequestBody* body, Step how,
                                     size_t keep, PatternVerifier* verifier);

  std::string request_head(std::string_view method, std::string_view target, unsigned user,
                           std::optional<uint64_t> content_length, std::string_view content_type,
                           bool expect_continue) const;
  std::string expand(std::string_view templ, uint64_t seq, unsigned user, std::string_view id = {}) const;
  bool sampled_for_verify(uint64_t seq) const;

  Reactor& r_;
  const LoadPlan& plan_;
  const LoadOptions& opt_;
  unsigned index_;
  unsigned threads_;
  LoadStats& stats_;
  unsigned workers_;          // connections (closed loop) or in-flight cap (open loop)
  uint64_t quota_ = 0;        // uploads this thread starts with --count; 0: unlimited
  uint64_t issued_ = 0;
  unsigned in_flight_ = 0;
  std::coroutine_handle<> slot_waiter_;
  std::vector<std::unique_ptr<UploadClient>> idle_;
  TaskGroup group_;
  std::mt19937_64 rng_;
  UploadReplies replies_;
};

}  // namespace sluice::load
