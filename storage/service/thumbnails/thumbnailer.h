// Thumbnailer: makes the thumbnails of image uploads, on the reactor it is given (I/O only:
// claiming jobs, streaming originals, storing thumbnails) and a worker pool of its own (libvips:
// blocking, CPU-heavy, never on a reactor thread). `sluice serve` runs one on core 0 and
// `sluice thumbnailer` runs one alone; both are this class.
//
// A job is a sluice.thumbnails row queued by the outbox trigger when a `file.uploaded` event of
// an image type commits (migration 0013), so it never waits for NATS. Each of `threads` loops
// claims a job (SKIP LOCKED: any number of thumbnailers share the queue), streams the original
// from the store into a socket the decoder reads (a fixed window in flight, whatever the file's
// size), and stores one WebP per size next to the original (thumbnail_key). Then, in one
// statement: the job ready, width/height/format in the file's metadata, `thumbnail.created` in
// the outbox. A file that is not a decodable image (or is over the limits) fails for good; a
// store error is retried with backoff, up to `max_attempts`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/task.h"
#include "core/worker_pool.h"
#include "db/pg_pool.h"
#include "storage/service/service_config.h"
#include "storage/service/thumbnails/image_thumbnails.h"
#include "storage/store/object_store.h"

namespace sluice {

struct ThumbnailerOptions {
  std::vector<int> sizes{128, 512};  // longest side in pixels
  unsigned threads = 1;              // images decoded at once (worker threads)
  unsigned vips_concurrency = 1;     // libvips threads per image (process-wide setting)
  service::ImageLimits limits;
  Duration poll_interval = std::chrono::milliseconds(250);  // an empty queue is read again after this
  Duration claim_lease = std::chrono::minutes(5);  // a claim lapses after this (its thumbnailer died)
  int max_attempts = 6;                            // store errors (and lapsed claims) before failing
  Duration first_retry = std::chrono::seconds(2);  // doubled per attempt
  Duration max_retry = std::chrono::minutes(5);
  Duration store_timeout = std::chrono::seconds(60);  // a send into the decoder
};

// The thumbnailer `sluice serve` and `sluice thumbnailer` run for this configuration.
ThumbnailerOptions thumbnailer_options(const ServiceConfig& c);

// Read from any thread (/metrics); written by the thumbnailer's reactor.
struct ThumbnailStats {
  std::atomic<uint64_t> made{0};           // images whose thumbnails were stored
  std::atomic<uint64_t> failed{0};         // images that failed for good (not decodable, refused)
  std::atomic<uint64_t> refused{0};        // of those, over the pixel limit
  std::atomic<uint64_t> store_retries{0};  // jobs put back after a store error
  std::atomic<uint64_t> busy{0};           // jobs in progress now
};

class Thumbnailer {
 public:
  // `stats` outlives the thumbnailer (the owner's /metrics reads it).
  Thumbnailer(Reactor& r, std::string pg_url, ObjectStore& store, ThumbnailerOptions options, ThumbnailStats& stats);
  ~Thumbnailer();
  Thumbnailer(const Thumbnailer&) = delete;
  Thumbnailer& operator=(const Thumbnailer&) = delete;

  // Starts libvips, connects and runs the loops in the background. Error when libvips cannot start.
  Task<Status> start();
  // Ends the loops (a job in progress finishes), closes the connections.
  Task<void> stop();
  // Tests and `sluice thumbnailer --once`: connects if needed, then works until no job is due.
  // Returns the jobs finished (ready, failed or put back).
  Task<Result<uint64_t>> run_until_idle();

  const ThumbnailStats& stats() const { return stats_; }
  const ThumbnailerOptions& options() const { return options_; }

 private:
  struct Job;
  enum class Turn { idle, worked, trouble };
  Task<Status> connect();
  Task<void> loop();
  Task<Turn> work_one();
  Task<void> process(Job job);
  Task<void> fail(const Job& job, std::string why);   // for good
  Task<void> retry(const Job& job, std::string why);  // after a backoff, or fail once attempts are used up

  Reactor& r_;
  PgPool pool_;
  ObjectStore& store_;
  ThumbnailerOptions options_;
  std::unique_ptr<WorkerPool> workers_;
  ThumbnailStats& stats_;
  TaskGroup tasks_;
  bool connected_ = false;
  bool stopping_ = false;
};

// The key of a file's thumbnail of `size`: next to the original, never a user's input.
std::string thumbnail_key(const std::string& object_key, int size);

}  // namespace sluice
