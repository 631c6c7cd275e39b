#include "tools/load/size_distribution.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sluice::load {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> parse_byte_size(std::string_view text) {
  std::string_view s = trim(text);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end == s.data())
    return Error(Errc::invalid_argument, "size '" + std::string(text) + "' must start with a whole number");
  std::string_view unit = trim(s.substr(static_cast<size_t>(end - s.data())));
  struct Unit {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},          {"b", 1},         {"kib", 1ull << 10}, {"mib", 1ull << 20}, {"gib", 1ull << 30},
      {"tib", 1ull << 40}, {"k", 1ull << 10}, {"m", 1ull << 20},   {"g", 1ull << 30},   {"kb", 1000},
      {"mb", 1000000},  {"gb", 1000000000}, {"tb", 1000000000000ull},
  };
  for (const Unit& u : kUnits) {
    if (!iequals(unit, u.name)) continue;
    if (n > UINT64_MAX / u.factor) return Error(Errc::invalid_argument, "size '" + std::string(text) + "' is too large");
    return n * u.factor;
  }
  return Error(Errc::invalid_argument,
               "size '" + std::string(text) + "' has an unknown unit (use B, KiB, MiB, GiB, KB, MB, GB)");
}

std::string format_byte_size(uint64_t bytes) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  for (auto [factor, name] : kUnits)
    if (bytes >= factor && bytes % factor == 0) return std::to_string(bytes / factor) + name;
  return std::to_string(bytes) + "B";
}

SizeDistribution SizeDistribution::fixed(uint64_t size) {
  SizeDistribution d;
  d.entries_.push_back({size, 1.0});
  d.thresholds_.push_back(UINT64_MAX);
  return d;
}

Result<SizeDistribution> SizeDistribution::parse(std::string_view spec) {
  spec = trim(spec);
  if (spec.empty()) return Error(Errc::invalid_argument, "size distribution is empty");
  if (spec.find(':') == std::string_view::npos) {
    if (spec.find(',') != std::string_view::npos)
      return Error(Errc::invalid_argument, "several sizes need weights: SIZE:PCT%,SIZE:PCT%");
    auto one = parse_byte_size(spec);
    if (!one) return std::move(one).error();
    return fixed(*one);
  }
  SizeDistribution d;
  double total = 0;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos)
      return Error(Errc::invalid_argument, "'" + std::string(item) + "' needs a weight: SIZE:PCT%");
    auto size = parse_byte_size(item.substr(0, colon));
    if (!size) return std::move(size).error();
    std::string_view pct = trim(item.substr(colon + 1));
    if (!pct.empty() && pct.back() == '%') pct.remove_suffix(1);
    double w = 0;
    auto [end, ec] = std::from_chars(pct.data(), pct.data() + pct.size(), w);
    if (ec != std::errc() || end != pct.data() + pct.size() || !(w > 0) || w > 100)
      return Error(Errc::invalid_argument, "'" + std::string(item) + "': the weight must be a percentage in (0, 100]");
    d.entries_.push_back({*size, w});
    total += w;
  }
  if (std::fabs(total - 100.0) > 0.01) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", total);
    return Error(Errc::invalid_argument, std::string("the percentages add up to ") + buf + ", not 100");
  }
  double cumulative = 0;
  for (size_t i = 0; i < d.entries_.size(); ++i) {
    d.entries_[i].weight /= 100.0;
    cumulative += d.entries_[i].weight;
    // 2^64 as a double; the last threshold is exactly the top so every draw lands somewhere.
    d.thresholds_.push_back(i + 1 == d.entries_.size() ? UINT64_MAX
                                                       : static_cast<uint64_t>(cumulative * 18446744073709551616.0));
  }
  return d;
}

uint64_t SizeDistribution::sample(uint64_t uniform) const {
  for (size_t i = 0; i < thresholds_.size(); ++i)
    if (uniform < thresholds_[i]) return entries_[i].size;
  return entries_.back().size;
}

double SizeDistribution::mean() const {
  double m = 0;
  for (const Entry& e : entries_) m += static_cast<double>(e.size) * e.weight;
  return m;
}

uint64_t SizeDistribution::max() const {
  uint64_t m = 0;
  for (const Entry& e : entries_) m = e.size > m ? e.size : m;
  return m;
}

std::string SizeDistribution::to_string() const {
  if (entries_.size() == 1) return format_byte_size(entries_[0].size);
  std::string out;
  for (const Entry& e : entries_) {
    if (!out.empty()) out += ',';
    char buf[32];
    std::snprintf(buf, sizeof buf, ":%.4g%%", e.weight * 100);
    out += format_byte_size(e.size) + buf;
  }
  return out;
}

}  // namespace sluice::load
