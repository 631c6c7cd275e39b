// RespDecoder: turns the bytes a Redis connection receives into RedisReply values, using
// hiredis' reader (redisReader) with object functions that build RedisReply directly.
#pragma once

#include <optional>
#include <span>

#include "core/result.h"
#include "db/redis_reply.h"

struct redisReader;

namespace sluice {

class RespDecoder {
 public:
  RespDecoder();
  ~RespDecoder();
  RespDecoder(const RespDecoder&) = delete;
  RespDecoder& operator=(const RespDecoder&) = delete;

  Status feed(std::span<const char> bytes);
  // The next complete reply; nullopt when more bytes are needed; Errc::protocol_error when the
  // stream is not RESP (the decoder is then unusable: reset() it with the connection).
  Result<std::optional<RedisReply>> next();
  void reset();

 private:
  redisReader* reader_ = nullptr;
};

}  // namespace sluice
