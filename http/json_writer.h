// JsonWriter: appends JSON to a std::string as values are written, with commas placed for the
// caller; strings are escaped and invalid UTF-8 replaced by U+FFFD, so the output is always valid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

// Usage: JsonWriter w(out); w.begin_object().key("id").int64(7).key("tags").begin_array()
// .string("a").end_array().end_object(). Misuse (a value without a key inside an object,
// unbalanced ends) is a bug and is caught by assert.
class JsonWriter {
 public:
  // Appends to `out`, which must outlive the writer.
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view value);
  JsonWriter& int64(std::int64_t value);
  JsonWriter& uint64(std::uint64_t value);
  // Shortest form that reads back to the same double; NaN and infinities become null.
  JsonWriter& number(double value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  // Inserts already-serialized JSON (e.g. a jsonb column) as one value, unchecked.
  JsonWriter& raw(std::string_view json);

  // True once one top-level value has been written and every container closed.
  bool complete() const { return stack_.empty() && wrote_value_; }

  // Appends `value` to `out` as a JSON string literal (with quotes), escaped as described above.
  static void append_string(std::string& out, std::string_view value);

 private:
  struct Frame {
    bool object;
    bool empty;
  };

  void before_value();

  std::string& out_;
  std::vector<Frame> stack_;
  bool after_key_ = false;
  bool wrote_value_ = false;
};

}  // namespace sluice::http
