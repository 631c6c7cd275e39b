// PgParams: the parameters of one query, encoded in PostgreSQL's text format (ints, bools,
// doubles, text, uuid/timestamptz/jsonb as text, text[]), with NULLs. Built from a list:
// PgParams(42, "name", std::optional<int64_t>{}, kPgNull, std::vector<std::string>{"a", "b"}).
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "db/pg_array.h"

namespace sluice {

struct PgNull {};
inline constexpr PgNull kPgNull{};

class PgParams {
 public:
  PgParams() = default;
  template <class... A>
    requires(sizeof...(A) > 0 && !(sizeof...(A) == 1 && (std::is_same_v<std::remove_cvref_t<A>, PgParams> && ...)))
  explicit PgParams(A&&... a) {
    values_.reserve(sizeof...(a));
    (add(std::forward<A>(a)), ...);
  }

  PgParams& add(PgNull) { return add_null(); }
  PgParams& add(std::nullopt_t) { return add_null(); }
  PgParams& add(bool v) { return add_text(v ? "t" : "f"); }
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  PgParams& add(T v) {
    return add_text(std::to_string(v));
  }
  PgParams& add(double v);
  PgParams& add(const char* v) { return v ? add_text(v) : add_null(); }
  PgParams& add(std::string_view v) { return add_text(std::string(v)); }
  PgParams& add(const std::string& v) { return add_text(v); }
  PgParams& add(std::string&& v) { return add_text(std::move(v)); }
  // text[] (or any array type the server can cast from its text form).
  PgParams& add(const std::vector<std::string>& v) { return add_text(pg_encode_text_array(std::span<const std::string>(v))); }
  PgParams& add(const PgTextArray& v) { return add_text(pg_encode_text_array(std::span<const std::optional<std::string>>(v))); }
  template <class T>
  PgParams& add(const std::optional<T>& v) {
    return v ? add(*v) : add_null();
  }

  int size() const { return static_cast<int>(values_.size()); }
  bool is_null(int i) const { return nulls_[static_cast<size_t>(i)]; }
  std::string_view text(int i) const { return values_[static_cast<size_t>(i)]; }
  // NUL-terminated values (nullptr for NULL) in libpq's layout; valid until the next add().
  const char* const* c_values() const;

 private:
  PgParams& add_text(std::string v) {
    values_.push_back(std::move(v));
    nulls_.push_back(false);
    return *this;
  }
  PgParams& add_null() {
    values_.emplace_back();
    nulls_.push_back(true);
    return *this;
  }

  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  mutable std::vector<const char*> ptrs_;
};

}  // namespace sluice
