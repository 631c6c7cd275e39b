#include "tools/load/load_report.h"

#include <cstdio>

#include "http/json_writer.h"

namespace sluice::load {

namespace {

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string statuses_text(const std::map<int, uint64_t>& m) {
  std::string out;
  for (auto [status, n] : m) out += (out.empty() ? "" : ", ") + std::to_string(status) + ": " + std::to_string(n);
  return out.empty() ? "none" : out;
}

}  // namespace

double elapsed_seconds(const LoadStats& s) {
  if (s.last_end <= s.first_start) return 1e-6;
  return std::chrono::duration<double>(s.last_end - s.first_start).count();
}

std::string format_text_report(const LoadOptions& o, const RunInfo& run, const LoadStats& s) {
  double secs = elapsed_seconds(s);
  bool get = o.mode == LoadMode::get;
  std::string out;
  out += "sluice-load: mode " + std::string(mode_name(o.mode)) + ", " + std::to_string(run.threads) + " threads, " +
         (o.closed_loop() ? "closed loop, concurrency " + std::to_string(o.concurrency)
                          : "open loop at " + fmt("%.6g", o.rate) + "/s (" + (o.poisson ? "poisson" : "fixed") +
                                "), at most " + std::to_string(o.concurrency) + " in flight") +
         (get ? "" : ", sizes " + o.sizes.to_string()) + "\n";
  out += "target: " + o.url + o.path + (o.query.empty() ? "" : "?" + o.query) +
         (o.no_auth ? " (no auth)" : ", " + std::to_string(o.users) + " users") +
         (o.expect_continue ? ", Expect: 100-continue" : "") + "\n";
  out += "elapsed " + fmt("%.2f", secs) + " s, " + std::to_string(s.connections) + " connections opened\n";
  const char* unit = get ? "requests" : "uploads";
  out += std::string(unit) + ": " + std::to_string(s.succeeded) + " ok, " + std::to_string(s.failed) + " failed -> " +
         fmt("%.1f", static_cast<double>(s.succeeded) / secs) + " " + unit + "/s";
  if (!get)
    out += ", " + fmt("%.1f", static_cast<double>(s.file_bytes_ok) / secs / 1e6) + " MB/s (file bytes of successful uploads)";
  out += "\n";
  out += "latency (ms)       count       p50       p95       p99       max      mean\n";
  for (size_t i = 0; i < kPhases; ++i) {
    const LatencyHistogram& h = s.latency[i];
    if (h.count() == 0) continue;
    char line[160];
    std::snprintf(line, sizeof line, "  %-12s %9llu %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                  std::string(phase_name(static_cast<Phase>(i))).c_str(), static_cast<unsigned long long>(h.count()),
                  ms(h.percentile(50)), ms(h.percentile(95)), ms(h.percentile(99)), ms(h.max()), h.mean() / 1000.0);
    out += line;
  }
  out += "statuses: " + statuses_text(s.statuses) + "\n";
  bool any = false;
  for (size_t i = 0; i < kFailureKinds; ++i) {
    if (s.failures[i] == 0) continue;
    if (!any) out += "errors:\n";
    any = true;
    out += "  " + std::string(failure_name(static_cast<FailureKind>(i))) + ": " + std::to_string(s.failures[i]) +
           " (first: " + s.failure_example[i] + ")\n";
  }
  if (!any) out += "errors: none\n";
  if (s.continue_timeouts) out += "100-continue timeouts (body sent anyway): " + std::to_string(s.continue_timeouts) + "\n";
  if (s.late_starts) out += "late starts (all slots busy): " + std::to_string(s.late_starts) + "\n";
  if (s.retries) out += "retries on a fresh connection: " + std::to_string(s.retries) + "\n";
  if (o.verify_sample > 0) out += "verified read-backs: " + std::to_string(s.verified) + "\n";
  return out;
}

std::string format_json_report(const LoadOptions& o, const RunInfo& run, const LoadStats& s) {
  double secs = elapsed_seconds(s);
  std::string out;
  http::JsonWriter w(out);
  w.begin_object();
  w.key("mode").string(mode_name(o.mode));
  w.key("url").string(o.url + o.path);
  w.key("threads").uint64(run.threads);
  w.key("concurrency").uint64(o.concurrency);
  w.key("loop").string(o.closed_loop() ? "closed" : "open");
  if (!o.closed_loop()) w.key("rate").number(o.rate);
  w.key("sizes").string(o.sizes.to_string());
  w.key("auth").boolean(!o.no_auth);
  w.key("expect_continue").boolean(o.expect_continue);
  w.key("run_id").string(run.run_id);
  w.key("nofile_limit").uint64(run.nofile_limit);
  w.key("elapsed_s").number(secs);
  w.key("started").uint64(s.started);
  w.key("ok").uint64(s.succeeded);
  w.key("failed").uint64(s.failed);
  w.key("per_s").number(static_cast<double>(s.succeeded) / secs);
  w.key("mb_per_s").number(static_cast<double>(s.file_bytes_ok) / secs / 1e6);
  w.key("file_bytes_ok").uint64(s.file_bytes_ok);
  w.key("wire_bytes_sent").uint64(s.wire_bytes_sent);
  w.key("connections").uint64(s.connections);
  w.key("continue_timeouts").uint64(s.continue_timeouts);
  w.key("late_starts").uint64(s.late_starts);
  w.key("retries").uint64(s.retries);
  w.key("verified").uint64(s.verified);
  w.key("latency_ms").begin_object();
  for (size_t i = 0; i < kPhases; ++i) {
    const LatencyHistogram& h = s.latency[i];
    if (h.count() == 0) continue;
    w.key(phase_name(static_cast<Phase>(i))).begin_object();
    w.key("count").uint64(h.count());
    w.key("p50").number(ms(h.percentile(50)));
    w.key("p95").number(ms(h.percentile(95)));
    w.key("p99").number(ms(h.percentile(99)));
    w.key("max").number(ms(h.max()));
    w.key("mean").number(h.mean() / 1000.0);
    w.end_object();
  }
  w.end_object();
  w.key("statuses").begin_object();
  for (auto [status, n] : s.statuses) w.key(std::to_string(status)).uint64(n);
  w.end_object();
  w.key("errors").begin_object();
  uint64_t total = 0;
  for (size_t i = 0; i < kFailureKinds; ++i) {
    total += s.failures[i];
    if (s.failures[i]) w.key(failure_name(static_cast<FailureKind>(i))).uint64(s.failures[i]);
  }
  w.end_object();
  w.key("errors_total").uint64(total);
  w.key("error_examples").begin_object();
  for (size_t i = 0; i < kFailureKinds; ++i)
    if (s.failures[i]) w.key(failure_name(static_cast<FailureKind>(i))).string(s.failure_example[i]);
  w.end_object();
  w.end_object();
  out += "\n";
  return out;
}

}  // namespace sluice::load
