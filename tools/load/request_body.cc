#include "tools/load/request_body.h"

#include <algorithm>

#include "tools/load/body_pattern.h"

namespace sluice::load {

BodyCursor::BodyCursor(const std::string& head, const RequestBody& body)
    : head_(head), body_(body), total_(head.size() + body.size()) {}

void BodyCursor::next_batch(size_t max_bytes, std::vector<iovec>& out) const {
  out.clear();
  uint64_t pos = sent_;
  uint64_t budget = std::min<uint64_t>(max_bytes, total_ - sent_);
  auto add = [&](const char* p, uint64_t n) {
    out.push_back(iovec{const_cast<char*>(p), static_cast<size_t>(n)});
    budget -= n;
    pos += n;
  };
  // Walk the four regions in order; `start` is where each begins in the whole stream.
  uint64_t start = 0;
  const std::string* strings[2] = {&head_, &body_.prefix};
  for (const std::string* s : strings) {
    uint64_t end = start + s->size();
    if (budget > 0 && pos < end) add(s->data() + (pos - start), std::min(budget, end - pos));
    start = end;
  }
  uint64_t pattern_end = start + body_.pattern_bytes;
  const BodyPattern& pattern = BodyPattern::instance();
  while (budget > 0 && pos < pattern_end) {
    uint64_t file_offset = body_.pattern_offset + (pos - start);
    uint64_t at = file_offset % BodyPattern::kSize;
    add(pattern.data() + at, std::min({budget, pattern_end - pos, BodyPattern::kSize - at}));
  }
  start = pattern_end;
  uint64_t end = start + body_.suffix.size();
  if (budget > 0 && pos < end) add(body_.suffix.data() + (pos - start), std::min(budget, end - pos));
}

}  // namespace sluice::load
