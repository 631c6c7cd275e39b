// SizeDistribution: the file sizes a load run uploads, either one fixed size ("1MiB") or a weighted
// mix ("1KiB:50%,1MiB:40%,64MiB:10%"), sampled from a uniform random number per upload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::load {

// "123", "64KiB", "1MiB", "2GiB", "10KB", "5MB" (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024).
Result<uint64_t> parse_byte_size(std::string_view text);
// 65536 -> "64KiB", 1048576 -> "1MiB", 1000 -> "1000B": exact binary units when they divide.
std::string format_byte_size(uint64_t bytes);

class SizeDistribution {
 public:
  struct Entry {
    uint64_t size = 0;
    double weight = 0;  // fraction of uploads, 0..1; the entries' weights sum to 1
  };

  // One size; or SIZE:PCT% pairs separated by commas whose percentages add up to 100.
  static Result<SizeDistribution> parse(std::string_view spec);
  static SizeDistribution fixed(uint64_t size);

  // Maps a uniform random value in [0, 2^64) to a size with the configured weights.
  uint64_t sample(uint64_t uniform) const;
  // The weighted mean, for planning (bytes per upload).
  double mean() const;
  uint64_t max() const;
  const std::vector<Entry>& entries() const { return entries_; }
  std::string to_string() const;

 private:
  std::vector<Entry> entries_;
  std::vector<uint64_t> thresholds_;  // cumulative weights scaled to 2^64, one per entry
};

}  // namespace sluice::load
