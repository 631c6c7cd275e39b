#include "db/pg_result.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <limits>

namespace sluice {

void PgResult::Clear::operator()(pg_result* r) const { PQclear(r); }

int PgResult::rows() const { return res_ ? PQntuples(res_.get()) : 0; }
int PgResult::columns() const { return res_ ? PQnfields(res_.get()) : 0; }

int PgResult::column(std::string_view name) const {
  for (int c = 0; c < columns(); ++c) {
    if (name == PQfname(res_.get(), c)) return c;
  }
  return -1;
}

std::string_view PgResult::column_name(int col) const {
  const char* n = res_ ? PQfname(res_.get(), col) : nullptr;
  return n ? n : "";
}

bool PgResult::is_null(int row, int col) const {
  return !res_ || row >= rows() || col >= columns() || PQgetisnull(res_.get(), row, col);
}

std::string_view PgResult::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string_view(PQgetvalue(res_.get(), row, col), static_cast<size_t>(PQgetlength(res_.get(), row, col)));
}

std::optional<std::string> PgResult::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return std::string(text(row, col));
}

Error PgResult::conversion_error(int row, int col, std::string_view type) const {
  std::string msg = "column '" + std::string(column_name(col)) + "' of row " + std::to_string(row);
  if (is_null(row, col)) return Error(Errc::invalid_argument, msg + " is NULL, expected " + std::string(type));
  return Error(Errc::invalid_argument, msg + " is '" + std::string(text(row, col)) + "', not " + std::string(type));
}

Result<int64_t> PgResult::int64(int row, int col) const {
  if (is_null(row, col)) return conversion_error(row, col, "an integer");
  std::string_view t = text(row, col);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return conversion_error(row, col, "an integer");
  return v;
}

Result<int32_t> PgResult::int32(int row, int col) const {
  auto v = int64(row, col);
  if (!v) return std::move(v).error();
  if (*v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
    return conversion_error(row, col, "a 32-bit integer");
  }
  return static_cast<int32_t>(*v);
}

Result<bool> PgResult::boolean(int row, int col) const {
  if (is_null(row, col)) return conversion_error(row, col, "a boolean");
  std::string_view t = text(row, col);
  if (t == "t") return true;
  if (t == "f") return false;
  return conversion_error(row, col, "a boolean");
}

Result<double> PgResult::float64(int row, int col) const {
  if (is_null(row, col)) return conversion_error(row, col, "a number");
  std::string s(text(row, col));
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);  // accepts NaN/Infinity as the server prints them
  if (s.empty() || end != s.c_str() + s.size()) return conversion_error(row, col, "a number");
  return v;
}

Result<PgTextArray> PgResult::text_array(int row, int col) const {
  if (is_null(row, col)) return conversion_error(row, col, "an array");
  return pg_decode_text_array(text(row, col));
}

int64_t PgResult::affected_rows() const {
  if (!res_) return 0;
  std::string_view t = PQcmdTuples(res_.get());
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string_view PgResult::command_tag() const {
  const char* s = res_ ? PQcmdStatus(res_.get()) : nullptr;
  return s ? s : "";
}

}  // namespace sluice
