// Structured logging: one JSON object per line on stderr. On a reactor thread the line goes to
// that core's buffer and is written by io_uring; elsewhere (start-up) it is written directly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace sluice {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

struct LogField {
  enum class Kind { string, integer, unsigned_integer, real, boolean };
  std::string_view key;
  Kind kind;
  std::string_view s;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;

  LogField(std::string_view k, std::string_view v) : key(k), kind(Kind::string), s(v) {}
  LogField(std::string_view k, const char* v) : key(k), kind(Kind::string), s(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), kind(Kind::string), s(v) {}
  LogField(std::string_view k, bool v) : key(k), kind(Kind::boolean), b(v) {}
  LogField(std::string_view k, double v) : key(k), kind(Kind::real), d(v) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T>, int> = 0>
  LogField(std::string_view k, T v) : key(k), kind(Kind::integer), i(v) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>, int> = 0>
  LogField(std::string_view k, T v) : key(k), kind(Kind::unsigned_integer), u(v) {}
};

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
// Parses "debug", "info", "warn", "error"; false when unknown.
bool parse_log_level(std::string_view name, LogLevel& out);
void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
// Appends `s` to `out` as the body of a JSON string (without quotes), escaped.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace sluice
