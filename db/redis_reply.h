// RedisReply: one RESP reply as an owned value (nil, integer, string, status, error, array).
// Top-level error replies reach callers as sluice::Error (see redis_error); errors nested in
// arrays (EXEC) stay values of type `error`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice {

struct RedisReply {
  enum class Type : uint8_t { nil, integer, string, status, error, array };

  Type type = Type::nil;
  int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
};

// The Error for an error reply's text ("NOSCRIPT No matching script..."): Error.detail is the
// leading word (NOSCRIPT, WRONGTYPE, NOAUTH...), the code follows from it.
Error redis_error(std::string_view text);

}  // namespace sluice
