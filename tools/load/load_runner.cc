#include "tools/load/load_runner.h"

#include <algorithm>

#include "http/json_writer.h"
#include "tools/load/multipart_form.h"

namespace sluice::load {

namespace {

constexpr size_t kKeepReply = 64 * 1024;  // JSON replies are read whole up to this size

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

unsigned share(uint64_t total, unsigned index, unsigned parts) {
  return static_cast<unsigned>(total / parts + (index < total % parts ? 1 : 0));
}

struct SlotWait {
  std::coroutine_handle<>& slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
  void await_resume() const noexcept {}
};

}  // namespace

LoadRunner::LoadRunner(Reactor& r, const LoadPlan& plan, unsigned thread_index, unsigned threads, LoadStats& stats)
    : r_(r),
      plan_(plan),
      opt_(plan.options),
      index_(thread_index),
      threads_(threads),
      stats_(stats),
      workers_(share(plan.options.concurrency, thread_index, threads)),
      rng_(mix(std::hash<std::string>{}(plan.run_id) + thread_index)) {
  if (opt_.count) quota_ = share(opt_.count, thread_index, threads);
}

bool LoadRunner::stopping() const {
  return Clock::now() >= plan_.stop_at || (plan_.interrupted && plan_.interrupted->load(std::memory_order_relaxed));
}

bool LoadRunner::take_job(uint64_t* seq) {
  if (stopping()) return false;
  if (opt_.count && issued_ >= quota_) return false;
  *seq = index_ + static_cast<uint64_t>(threads_) * issued_++;
  return true;
}

Task<void> LoadRunner::run() {
  stats_.first_start = plan_.start;
  if (opt_.count == 0 || quota_ > 0) {
    if (opt_.closed_loop()) {
      for (unsigned i = 0; i < workers_; ++i) spawn(closed_worker(), &group_);
      co_await group_.wait();
    } else {
      co_await open_dispatch();
    }
  }
  stats_.last_end = Clock::now();
}

Task<void> LoadRunner::closed_worker() {
  UploadClient c(r_, plan_.client);
  uint64_t seq;
  while (take_job(&seq)) co_await run_job(c, seq, Clock::now());
  co_await c.close();
}

Task<void> LoadRunner::open_dispatch() {
  double rate = opt_.rate / threads_;
  std::exponential_distribution<double> gap(rate);
  // Threads start out of phase so fixed spacing interleaves across threads.
  Deadline next = plan_.start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(index_ / opt_.rate));
  uint64_t seq;
  for (;;) {
    if (next >= plan_.stop_at || stopping()) break;
    // Sleep in short steps so an interrupt is noticed even at low rates.
    while (Clock::now() < next && !stopping())
      co_await SleepUntil(r_, std::min(next, Clock::now() + std::chrono::milliseconds(100)));
    if (in_flight_ >= workers_) {
      ++stats_.late_starts;
      while (in_flight_ >= workers_) co_await SlotWait{slot_waiter_};
    }
    if (!take_job(&seq)) break;
    std::unique_ptr<UploadClient> c;
    if (idle_.empty()) {
      c = std::make_unique<UploadClient>(r_, plan_.client);
    } else {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
    ++in_flight_;
    // Latency counts from `next`, the intended start, so a stalled server cannot hide its
    // stall by delaying the starts (coordinated omission).
    spawn(open_job(std::move(c), seq, next), &group_);
    double seconds = opt_.poisson ? gap(rng_) : 1.0 / rate;
    next += std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  }
  co_await group_.wait();
  for (auto& c : idle_) co_await c->close();
  idle_.clear();
}

Task<void> LoadRunner::open_job(std::unique_ptr<UploadClient> client, uint64_t seq, Deadline intended) {
  co_await run_job(*client, seq, intended);
  if (client->connected()) idle_.push_back(std::move(client));
  --in_flight_;
  if (slot_waiter_) r_.schedule(std::exchange(slot_waiter_, {}));
}

std::string LoadRunner::expand(std::string_view templ, uint64_t seq, unsigned user, std::string_view id) const {
  std::string out;
  out.reserve(templ.size() + 32);
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] == '{') {
      size_t close = templ.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view name = templ.substr(i + 1, close - i - 1);
        bool known = true;
        if (name == "n") out += std::to_string(seq);
        else if (name == "run") out += plan_.run_id;
        else if (name == "user") out += std::to_string(user);
        else if (name == "id") out += id;
        else known = false;
        if (known) {
          i = close;
          continue;
        }
      }
    }
    out += templ[i];
  }
  return out;
}

std::string LoadRunner::request_head(std::string_view method, std::string_view target, unsigned user,
                                     std::optional<uint64_t> content_length, std::string_view content_type,
                                     bool expect_continue) const {
  std::string h;
  h.reserve(320 + (plan_.tokens.empty() ? 0 : plan_.tokens[0].size()));
  h.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(plan_.host_header);
  h += "\r\nUser-Agent: sluice-load\r\n";
  if (!plan_.tokens.empty()) h.append("Authorization: Bearer ").append(plan_.tokens[user % plan_.tokens.size()]).append("\r\n");
  if (!content_type.empty()) h.append("Content-Type: ").append(content_type).append("\r\n");
  if (content_length) h.append("Content-Length: ").append(std::to_string(*content_length)).append("\r\n");
  if (expect_continue) h += "Expect: 100-continue\r\n";
  for (const std::string& extra : opt_.headers) h.append(extra).append("\r\n");
  h += "\r\n";
  return h;
}

bool LoadRunner::sampled_for_verify(uint64_t seq) const {
  if (opt_.verify_sample <= 0) return false;
  return static_cast<double>(mix(seq ^ 0x5eed)) / 18446744073709551616.0 < opt_.verify_sample;
}

Task<std::optional<Exchange>> LoadRunner::step(UploadClient& c, std::string head, const RequestBody* body, Step how,
                                               size_t keep, PatternVerifier* verifier) {
  bool expect_continue = opt_.expect_continue && how.has_file && body && body->size() > 0;
  for (int attempt = 0;; ++attempt) {
    bool fresh = !c.connected();
    if (fresh) {
      Duration took{};
      auto st = co_await c.connect(&took);
      if (!st) {
        stats_.fail(FailureKind::connect, st.error().message);
        // Back off a little so a refusing server does not turn the loop into a spin.
        co_await SleepUntil(r_, deadline_after(std::chrono::milliseconds(50)));
        co_return std::nullopt;
      }
      ++stats_.connections;
      stats_.record(Phase::connect, took);
    }
    Deadline t0 = Clock::now();
    auto x = co_await c.exchange(head, body, expect_continue, keep, verifier);
    if (!x) {
      FailureKind kind = classify(x.error());
      // A reused keep-alive connection the server had already closed: try once on a new one.
      if (!fresh && attempt == 0 && verifier == nullptr && (kind == FailureKind::reset || kind == FailureKind::closed)) {
        ++stats_.retries;
        continue;
      }
      stats_.fail(kind, x.error().message);
      co_return std::nullopt;
    }
    stats_.wire_bytes_sent += x->wire_bytes;
    ++stats_.statuses[x->head.status];
    if (x->used_continue && !x->continue_timed_out) stats_.record(Phase::admission, x->first_response - x->head_sent);
    if (x->continue_timed_out) ++stats_.continue_timeouts;
    if (how.has_file && !x->body_skipped) stats_.record(Phase::commit, x->final_first_byte - x->body_sent);
    if (how.phase != Phase::upload && how.phase != Phase::request) stats_.record(how.phase, x->done - t0);
    bool good = how.final ? opt_.expect_status.count(x->head.status) > 0 : x->head.status / 100 == 2;
    if (!good) {
      stats_.fail(FailureKind::status, std::string(phase_name(how.phase)) + ": HTTP " + std::to_string(x->head.status) +
                                           " " + x->body.substr(0, 200));
      co_return std::nullopt;
    }
    co_return std::move(*x);
  }
}

Task<bool> LoadRunner::run_job(UploadClient& c, uint64_t seq, Deadline intended) {
  ++stats_.started;
  if (opt_.mode == LoadMode::check) {
    const AckedUpload& rec = plan_.records[seq];
    bool same = co_await verify_file(c, rec.id, rec.size, rec.user);
    ++(same ? stats_.succeeded : stats_.failed);
    if (same) stats_.file_bytes_ok += rec.size;
    stats_.record(Phase::verify, Clock::now() - intended);
    co_return same;
  }
  unsigned user = static_cast<unsigned>(seq % opt_.users);
  uint64_t size = opt_.mode == LoadMode::get ? 0 : opt_.sizes.sample(rng_());
  std::string reply;
  bool ok = false;
  switch (opt_.mode) {
    case LoadMode::put: {
      RequestBody body;
      body.pattern_bytes = size;
      std::string target = expand(opt_.query.empty() ? opt_.path : opt_.path + "?" + opt_.query, seq, user);
      auto x = co_await step(c, request_head("PUT", target, user, size, "application/octet-stream", opt_.expect_continue),
                             &body, Step{Phase::upload, true, true}, kKeepReply, nullptr);
      if (x) reply = std::move(x->body);
      ok = x.has_value();
      break;
    }
    case LoadMode::form: {
      MultipartForm form;
      form.boundary = make_boundary(mix(index_ + 1));
      form.path_field = opt_.upload_path;
      form.filename = expand("f{run}-{n}", seq, user);
      RequestBody body = form.body(size);
      std::string target = expand(opt_.query.empty() ? opt_.path : opt_.path + "?" + opt_.query, seq, user);
      auto x = co_await step(c, request_head("POST", target, user, body.size(), form.content_type_header(), opt_.expect_continue),
                             &body, Step{Phase::upload, true, true}, kKeepReply, nullptr);
      if (x) reply = std::move(x->body);
      ok = x.has_value();
      break;
    }
    case LoadMode::multipart:
      ok = co_await multipart_job(c, seq, size, user, &reply);
      break;
    case LoadMode::check:
      break;  // handled above
    case LoadMode::get: {
      std::string target = expand(opt_.query.empty() ? opt_.path : opt_.path + "?" + opt_.query, seq, user);
      auto x = co_await step(c, request_head("GET", target, user, std::nullopt, {}, false), nullptr,
                             Step{Phase::request, true, false}, 0, nullptr);
      ok = x.has_value();
      break;
    }
  }
  if (!ok) {
    ++stats_.failed;
    co_return false;
  }
  ++stats_.succeeded;
  stats_.file_bytes_ok += size;
  stats_.record(opt_.mode == LoadMode::get ? Phase::request : Phase::upload, Clock::now() - intended);
  if (!opt_.records_path.empty() && opt_.mode != LoadMode::get) {
    std::string id = replies_.file_id(reply);
    if (id.empty()) stats_.fail(FailureKind::protocol, "no file id in the upload reply: " + reply.substr(0, 200));
    else stats_.acked.push_back(AckedUpload{std::move(id), size, user});
  }
  if (opt_.mode != LoadMode::get && sampled_for_verify(seq)) co_await verify(c, std::move(reply), size, user);
  co_return true;
}

Task<bool> LoadRunner::multipart_job(UploadClient& c, uint64_t seq, uint64_t size, unsigned user, std::string* reply) {
  std::string json;
  http::JsonWriter w(json);
  w.begin_object()
      .key("path").string(opt_.upload_path)
      .key("name").string(expand("f{run}-{n}", seq, user))
      .key("contentType").string("application/octet-stream")
      .key("size").uint64(size)
      .end_object();
  RequestBody init;
  init.prefix = std::move(json);
  auto x = co_await step(c, request_head("POST", opt_.path, user, init.size(), "application/json", false), &init,
                         Step{Phase::initiate, false, false}, kKeepReply, nullptr);
  if (!x) co_return false;
  auto plan = replies_.initiate(x->body, size);
  if (!plan) {
    stats_.fail(FailureKind::protocol, plan.error().message);
    co_return false;
  }
  std::string base = opt_.path + "/" + plan->upload_id;
  std::vector<std::string> etags;
  for (uint64_t n = 1; n <= plan->total_parts; ++n) {
    uint64_t offset = (n - 1) * plan->part_size;
    RequestBody part;
    part.pattern_offset = offset;
    part.pattern_bytes = offset >= size ? 0 : std::min(plan->part_size, size - offset);
    auto p = co_await step(c,
                           request_head("PUT", base + "/parts/" + std::to_string(n), user, part.size(),
                                        "application/octet-stream", opt_.expect_continue),
                           &part, Step{Phase::part, false, true}, 4096, nullptr);
    if (!p) co_return false;
    std::string etag = replies_.part_etag(p->head.etag, p->body);
    if (etag.empty()) {
      stats_.fail(FailureKind::protocol, "part " + std::to_string(n) + " reply has no ETag");
      co_return false;
    }
    etags.push_back(std::move(etag));
  }
  std::string done;
  http::JsonWriter cw(done);
  cw.begin_object().key("parts").begin_array();
  for (size_t i = 0; i < etags.size(); ++i)
    cw.begin_object().key("partNumber").uint64(i + 1).key("etag").string(etags[i]).end_object();
  cw.end_array().end_object();
  RequestBody complete;
  complete.prefix = std::move(done);
  auto fin = co_await step(c, request_head("POST", base + "/complete", user, complete.size(), "application/json", false),
                           &complete, Step{Phase::complete, true, false}, kKeepReply, nullptr);
  if (!fin) co_return false;
  *reply = std::move(fin->body);
  co_return true;
}

Task<void> LoadRunner::verify(UploadClient& c, std::string reply, uint64_t size, unsigned user) {
  std::string id = replies_.file_id(reply);
  if (id.empty()) {
    stats_.fail(FailureKind::verify, "no file id in the upload reply: " + reply.substr(0, 200));
    co_return;
  }
  (void)co_await verify_file(c, std::move(id), size, user);
}

Task<bool> LoadRunner::verify_file(UploadClient& c, std::string id, uint64_t size, unsigned user) {
  PatternVerifier v(size);
  auto x = co_await step(c, request_head("GET", expand(opt_.verify_path, 0, user, id), user, std::nullopt, {}, false),
                         nullptr, Step{Phase::verify, false, false}, 0, &v);
  if (!x) co_return false;
  if (!v.ok()) {
    stats_.fail(FailureKind::verify, "file " + id + ": read back " + std::to_string(v.received()) + " of " +
                                         std::to_string(size) + " bytes, content " +
                                         (v.content_matches() ? "matches" : "differs"));
    co_return false;
  }
  ++stats_.verified;
  co_return true;
}

}  // namespace sluice::load
