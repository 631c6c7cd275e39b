// RedisScript: a Lua script and its SHA-1, run with EVALSHA; RedisClient::eval loads it with
// SCRIPT LOAD when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH) and retries.
#pragma once

#include <memory>
#include <string>

namespace sluice {

class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return data_->source; }
  const std::string& sha1() const { return data_->sha1; }  // lower-case hex, as Redis prints it

 private:
  struct Data {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const Data> data_;  // cheap to copy into coroutine frames
};

}  // namespace sluice
