#include "db/resp_decoder.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>

namespace sluice {

namespace {

// hiredis calls these as it parses; a child is built in place inside its parent's (pre-sized)
// elements, so only top-level replies are allocated.
RedisReply* place(const redisReadTask* task) {
  if (task->parent) {
    auto* parent = static_cast<RedisReply*>(task->parent->obj);
    return &parent->elements[static_cast<size_t>(task->idx)];
  }
  return new RedisReply();
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  RedisReply* r = place(task);
  switch (task->type) {
    case REDIS_REPLY_ERROR: r->type = RedisReply::Type::error; break;
    case REDIS_REPLY_STATUS: r->type = RedisReply::Type::status; break;
    default: r->type = RedisReply::Type::string; break;
  }
  r->str.assign(str, len);
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  RedisReply* r = place(task);
  r->type = RedisReply::Type::array;
  r->elements.resize(static_cast<size_t>(elements > 0 ? elements : 0));
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  RedisReply* r = place(task);
  r->type = RedisReply::Type::integer;
  r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  RedisReply* r = place(task);
  r->type = RedisReply::Type::nil;
  return r;
}

// Only ever called on top-level replies (children live inside them).
void free_object(void* obj) { delete static_cast<RedisReply*>(obj); }

redisReplyObjectFunctions kFunctions = {create_string, create_array, create_integer, create_nil, free_object};

}  // namespace

RespDecoder::RespDecoder() : reader_(redisReaderCreateWithFunctions(&kFunctions)) {}

RespDecoder::~RespDecoder() {
  if (reader_) redisReaderFree(reader_);
}

void RespDecoder::reset() {
  if (reader_) redisReaderFree(reader_);
  reader_ = redisReaderCreateWithFunctions(&kFunctions);
}

Status RespDecoder::feed(std::span<const char> bytes) {
  if (!reader_) return Error(Errc::internal, "RESP reader: out of memory");
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    return Error(Errc::protocol_error, std::string("RESP reader: ") + reader_->errstr);
  }
  return {};
}

Result<std::optional<RedisReply>> RespDecoder::next() {
  if (!reader_) return Error(Errc::internal, "RESP reader: out of memory");
  void* obj = nullptr;
  if (redisReaderGetReply(reader_, &obj) != REDIS_OK) {
    return Error(Errc::protocol_error, std::string("Redis sent something that is not RESP: ") + reader_->errstr);
  }
  if (!obj) return std::optional<RedisReply>();
  std::unique_ptr<RedisReply> r(static_cast<RedisReply*>(obj));
  return std::optional<RedisReply>(std::move(*r));
}

}  // namespace sluice
