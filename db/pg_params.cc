#include "db/pg_params.h"

#include <charconv>
#include <cmath>

namespace sluice {

PgParams& PgParams::add(double v) {
  if (std::isnan(v)) return add_text("NaN");
  if (std::isinf(v)) return add_text(v > 0 ? "Infinity" : "-Infinity");
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that round-trips
  return add_text(std::string(buf, res.ptr));
}

const char* const* PgParams::c_values() const {
  ptrs_.resize(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) ptrs_[i] = nulls_[i] ? nullptr : values_[i].c_str();
  return ptrs_.data();
}

}  // namespace sluice
