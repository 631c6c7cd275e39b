// PgResult: the rows (or command status) of one successful query, owned; values are read in
// text format and converted on access. Empty (no PGresult) when default-constructed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "db/pg_array.h"

struct pg_result;

namespace sluice {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* res) : res_(res) {}

  int rows() const;
  int columns() const;
  // The column's index by name, or -1.
  int column(std::string_view name) const;
  std::string_view column_name(int col) const;

  bool is_null(int row, int col) const;
  // The value's text ("" for NULL).
  std::string_view text(int row, int col) const;
  std::optional<std::string> opt_text(int row, int col) const;
  // Conversions fail with Errc::invalid_argument on NULL or on a value of another type.
  Result<int64_t> int64(int row, int col) const;
  Result<int32_t> int32(int row, int col) const;
  Result<bool> boolean(int row, int col) const;
  Result<double> float64(int row, int col) const;
  Result<PgTextArray> text_array(int row, int col) const;

  // Rows touched by INSERT/UPDATE/DELETE (0 when not applicable).
  int64_t affected_rows() const;
  // "INSERT 0 1", "COMMIT", "ROLLBACK"...
  std::string_view command_tag() const;

  pg_result* get() const { return res_.get(); }
  explicit operator bool() const { return res_ != nullptr; }

 private:
  struct Clear {
    void operator()(pg_result* r) const;
  };
  Error conversion_error(int row, int col, std::string_view type) const;
  std::unique_ptr<pg_result, Clear> res_;
};

}  // namespace sluice
