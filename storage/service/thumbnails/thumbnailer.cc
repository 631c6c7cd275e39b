#include "storage/service/thumbnails/thumbnailer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/tcp_stream.h"
#include "http/json_writer.h"
#include "storage/service/thumbnails/thumbnail_queries.h"

namespace sluice {

namespace {

PgOptions thumbnailer_pool_options(std::string url, unsigned threads) {
  PgOptions o;
  o.url = std::move(url);
  o.connections = std::clamp(threads, 1u, 4u);
  return o;
}

int64_t whole_seconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

// A thumbnail's bytes, put in one piece.
class BytesSource final : public ByteSource {
 public:
  explicit BytesSource(const std::string& bytes) : bytes_(bytes) {}
  Task<Result<std::span<const char>>> next() override {
    std::span<const char> out;
    if (!done_) out = std::span<const char>(bytes_.data(), bytes_.size());
    done_ = true;
    co_return out;
  }

 private:
  const std::string& bytes_;
  bool done_ = false;
};

// Where the store streams the original: the socket the decoder reads on its worker thread. A send
// waits (in io_uring, not on this thread) while the decoder has not taken the previous bytes, so
// the store is read no faster than the image is decoded. A failed send means the decoder stopped
// reading (it has what it needs, or gave up): `decoder_gone` tells that from a store error.
class DecoderSink final : public ByteSink {
 public:
  DecoderSink(TcpStream& out, Duration timeout) : out_(out), timeout_(timeout) {}
  Task<Status> begin(uint64_t, uint64_t, const std::string&, const std::string&) override { co_return Status(); }
  Task<Status> write(std::span<const char> data) override {
    Status s = co_await out_.send_all(data, deadline_after(timeout_));
    if (!s.ok()) decoder_gone = true;
    co_return s;
  }
  bool decoder_gone = false;

 private:
  TcpStream& out_;
  Duration timeout_;
};

}  // namespace

std::string thumbnail_key(const std::string& object_key, int size) {
  return object_key + ".thumb-" + std::to_string(size) + ".webp";
}

ThumbnailerOptions thumbnailer_options(const ServiceConfig& c) {
  ThumbnailerOptions o;
  o.sizes = c.thumbnail_sizes;
  o.threads = c.thumbnail_threads;
  o.limits.max_pixels = c.thumbnail_max_pixels;
  o.limits.timeout = c.thumbnail_timeout;
  o.limits.max_buffered_bytes = c.thumbnail_max_buffered_bytes;
  return o;
}

struct Thumbnailer::Job {
  std::string file_id;
  std::string object_key;
  int attempts = 0;
};

Thumbnailer::Thumbnailer(Reactor& r, std::string pg_url, ObjectStore& store, ThumbnailerOptions options,
                         ThumbnailStats& stats)
    : r_(r),
      pool_(r, thumbnailer_pool_options(std::move(pg_url), options.threads)),
      store_(store),
      options_(std::move(options)),
      stats_(stats) {
  options_.threads = std::max(1u, options_.threads);
  // One job per thread at most: the loops never queue more than the pool runs.
  workers_ = std::make_unique<WorkerPool>(WorkerPoolOptions{.threads = options_.threads, .max_queued = options_.threads});
}

Thumbnailer::~Thumbnailer() = default;

Task<Status> Thumbnailer::connect() {
  if (connected_) co_return Status();
  connected_ = true;
  Status s = co_await pool_.start();
  if (!s.ok()) log_event(LogLevel::warn, "thumbnailer_db_unavailable", {{"error", s.error().message}});
  co_return s;
}

Task<Status> Thumbnailer::start() {
  if (!service::start_image_library(options_.vips_concurrency, options_.limits))
    co_return Error(Errc::internal, "libvips could not start");
  spawn(
      [](Thumbnailer* self) -> Task<void> {
        (void)co_await self->connect();  // a failed connection retries in the pool
        for (unsigned i = 0; i < self->options_.threads; ++i) spawn(self->loop(), &self->tasks_);
      }(this),
      &tasks_);
  log_event(LogLevel::info, "thumbnailer_started",
            {{"threads", options_.threads}, {"max_pixels", options_.limits.max_pixels}});
  co_return Status();
}

Task<void> Thumbnailer::stop() {
  stopping_ = true;
  co_await tasks_.wait();  // each loop ends its job, or its nap (one poll interval)
  if (connected_) co_await pool_.close();
}

Task<Result<uint64_t>> Thumbnailer::run_until_idle() {
  if (!service::start_image_library(options_.vips_concurrency, options_.limits))
    co_return Error(Errc::internal, "libvips could not start");
  if (Status s = co_await connect(); !s.ok()) co_return s.error();
  uint64_t done = 0;
  while (true) {
    Turn t = co_await work_one();
    if (t == Turn::trouble) co_return Error(Errc::unavailable, "PostgreSQL refused the thumbnail queue");
    if (t == Turn::idle) co_return done;
    ++done;
  }
}

Task<void> Thumbnailer::loop() {
  while (!stopping_) {
    Turn t = co_await work_one();
    if (t != Turn::worked && !stopping_) co_await SleepUntil(r_, deadline_after(options_.poll_interval));
  }
}

Task<Thumbnailer::Turn> Thumbnailer::work_one() {
  auto claimed = co_await pool_.query(thumbnail_sql::kClaim, whole_seconds(options_.claim_lease));
  if (!claimed.ok()) {
    log_event(LogLevel::warn, "thumbnail_claim_failed", {{"error", claimed.error().message}});
    co_return Turn::trouble;
  }
  if (claimed->rows() == 0) co_return Turn::idle;
  Job job;
  job.file_id = std::string(claimed->text(0, 0));
  job.object_key = std::string(claimed->text(0, 1));
  if (auto a = claimed->int32(0, 3); a.ok()) job.attempts = *a;
  ++stats_.busy;
  co_await process(std::move(job));
  --stats_.busy;
  co_return Turn::worked;
}

Task<void> Thumbnailer::fail(const Job& job, std::string why) {
  ++stats_.failed;
  log_event(LogLevel::info, "thumbnail_failed", {{"file", job.file_id}, {"error", why}});
  auto r = co_await pool_.query(thumbnail_sql::kFail, job.file_id, why);
  if (!r.ok()) log_event(LogLevel::warn, "thumbnail_record_failed", {{"error", r.error().message}});
}

// Store errors only: the image is not to blame, so later may work.
Task<void> Thumbnailer::retry(const Job& job, std::string why) {
  if (job.attempts + 1 >= options_.max_attempts) {
    std::string final_why = "store error, attempts used up: " + why;
    co_await fail(job, std::move(final_why));
    co_return;
  }
  ++stats_.store_retries;
  Duration delay = options_.first_retry * (int64_t{1} << std::min(job.attempts, 20));
  delay = std::min(delay, options_.max_retry);
  double secs = std::chrono::duration<double>(delay).count();
  log_event(LogLevel::warn, "thumbnail_retry", {{"file", job.file_id}, {"error", why}, {"delay_s", secs}});
  auto r = co_await pool_.query(thumbnail_sql::kRetryLater, job.file_id, secs, why);
  if (!r.ok()) log_event(LogLevel::warn, "thumbnail_record_failed", {{"error", r.error().message}});
}

Task<void> Thumbnailer::process(Job job) {
  if (job.attempts >= options_.max_attempts) {
    std::string why = "interrupted too many times";
    co_await fail(job, std::move(why));
    co_return;
  }

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    std::string why = "socketpair: " + std::string(strerror(errno));
    co_await retry(job, std::move(why));
    co_return;
  }
  // The window between store and decoder: what one send may leave in flight.
  int window = 256 * 1024;
  (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &window, sizeof window);
  int writer = sv[0];
  int reader = sv[1];

  Status streamed;
  TcpStream out(r_, writer);  // io_uring sends (MSG_NOSIGNAL) on a stream socket, not only TCP
  DecoderSink sink(out, options_.store_timeout);
  TaskGroup streaming;
  spawn(
      [](ObjectStore& store, std::string key, DecoderSink& sink, Status& result, TcpStream& to) -> Task<void> {
        auto got = co_await store.get(std::move(key), std::nullopt, sink);
        if (!got.ok()) result = std::move(got).error();
        to.shutdown_write();  // the decoder sees the end of the content
      }(store_, job.object_key, sink, streamed, out),
      &streaming);
  // Built outside the co_await: GCC 12 destroys a lambda's captures twice when the lambda is a
  // temporary of the awaited expression.
  auto decode = [reader, sizes = options_.sizes, limits = options_.limits]() -> Result<service::DecodedImage> {
    auto out = service::make_thumbnails(reader, sizes, limits);
    shutdown(reader, SHUT_RDWR);  // a send still waiting fails now: the stream ends
    return out;
  };
  auto decoded = co_await workers_->run(r_, std::move(decode));
  if (!decoded) shutdown(reader, SHUT_RDWR);  // never ran (the pool is full or stopping)
  co_await streaming.wait();
  close(reader);
  co_await out.close();

  if (!decoded) {
    std::string why = "no decoder thread free";
    co_await retry(job, std::move(why));
    co_return;
  }
  if (!decoded->ok()) {
    // A store that failed mid-way also makes the decoder fail (truncated): the store is to blame.
    if (!streamed.ok() && !sink.decoder_gone) {
      std::string why = streamed.error().message;
      co_await retry(job, std::move(why));
      co_return;
    }
    std::string why = decoded->error().message;
    if (why.starts_with("image too large")) ++stats_.refused;
    co_await fail(job, std::move(why));
    co_return;
  }
  service::DecodedImage& image = **decoded;

  {
    std::string planned;
    http::JsonWriter pw(planned);
    pw.begin_object();
    for (const auto& t : image.thumbnails) {
      pw.key(std::to_string(t.size)).begin_object();
      pw.key("key").string(thumbnail_key(job.object_key, t.size));
      pw.end_object();
    }
    pw.end_object();
    auto plan = co_await pool_.query(thumbnail_sql::kPlanVariants, job.file_id, planned);
    if (!plan.ok()) {
      std::string why = plan.error().message;
      co_await retry(job, std::move(why));
      co_return;
    }
    if (plan->rows() == 0) co_return;  // the file was purged meanwhile: nothing to make
  }

  std::vector<std::string> stored;
  std::string variants;
  http::JsonWriter w(variants);
  w.begin_object();
  for (const auto& t : image.thumbnails) {
    std::string key = thumbnail_key(job.object_key, t.size);
    BytesSource body(t.webp);
    PutOptions po;
    po.content_type = "image/webp";
    auto put = co_await store_.put(key, t.webp.size(), body, po);
    if (!put.ok()) {
      for (const auto& k : stored) (void)co_await store_.remove(k);
      std::string why = put.error().message;
      co_await retry(job, std::move(why));
      co_return;
    }
    stored.push_back(key);
    w.key(std::to_string(t.size)).begin_object();
    w.key("key").string(key);
    w.key("size").uint64(put->size);
    w.key("etag").string(put->etag);
    w.end_object();
  }
  w.end_object();
  auto recorded = co_await pool_.query(thumbnail_sql::kRecordReady, job.file_id, image.width, image.height,
                                       image.format, variants);
  if (!recorded.ok() || *recorded->int64(0, 0) == 0) {
    // The file was purged meanwhile (its purge may have run before these PUTs), or the database
    // failed: what was stored here is removed here (a failed record is retried).
    for (const auto& k : stored) (void)co_await store_.remove(k);
    if (!recorded.ok()) {
      std::string why = recorded.error().message;
      co_await retry(job, std::move(why));
    }
    co_return;
  }
  ++stats_.made;
}

}  // namespace sluice
