#include "core/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/reactor.h"

namespace sluice {

namespace {
// Written once at start-up before reactors run; read-only afterwards.
LogLevel g_level = LogLevel::info;

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
bool log_enabled(LogLevel level) { return level >= g_level; }

bool parse_log_level(std::string_view name, LogLevel& out) {
  if (name == "debug") out = LogLevel::debug;
  else if (name == "info") out = LogLevel::info;
  else if (name == "warn") out = LogLevel::warn;
  else if (name == "error") out = LogLevel::error;
  else return false;
  return true;
}

void append_json_escaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  timeval tv{};
  gettimeofday(&tv, nullptr);
  char ts[32];
  std::snprintf(ts, sizeof ts, "%ld.%03ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec / 1000));
  std::string line;
  line.reserve(128);
  line += "{\"ts\":";
  line += ts;
  line += ",\"level\":\"";
  line += level_name(level);
  line += "\",\"event\":\"";
  append_json_escaped(line, event);
  line += '"';
  Reactor* r = Reactor::current();
  if (r) {
    line += ",\"core\":";
    line += std::to_string(r->core());
  }
  for (const LogField& f : fields) {
    line += ",\"";
    append_json_escaped(line, f.key);
    line += "\":";
    switch (f.kind) {
      case LogField::Kind::string:
        line += '"';
        append_json_escaped(line, f.s);
        line += '"';
        break;
      case LogField::Kind::integer: line += std::to_string(f.i); break;
      case LogField::Kind::unsigned_integer: line += std::to_string(f.u); break;
      case LogField::Kind::real:
        if (std::isfinite(f.d)) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.6g", f.d);
          line += buf;
        } else {
          line += "null";
        }
        break;
      case LogField::Kind::boolean: line += f.b ? "true" : "false"; break;
    }
  }
  line += "}\n";
  if (r) {
    r->append_log(line);
  } else {
    (void)!::write(STDERR_FILENO, line.data(), line.size());
  }
}

}  // namespace sluice
