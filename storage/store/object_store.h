// ObjectStore: where file bytes live (S3-compatible storage or local disk). Every body is
// streamed through a fixed window: puts pull from a ByteSource, gets push into a ByteSink, so an
// object of any size costs the same memory. One instance per core; never shared across cores.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/task.h"

namespace sluice {

// Pull-based body: next() returns the next bytes (valid until the following call), an empty span
// at the end. The store calls it only when it can send more (backpressure).
class ByteSource {
 public:
  virtual Task<Result<std::span<const char>>> next() = 0;

 protected:
  ~ByteSource() = default;
};

// Push-based reader of an object's bytes; write() completes when the bytes may be reused.
class ByteSink {
 public:
  // Called once before the first write with what is known about the object (size of the
  // returned range, the object's total size, etag, content type), e.g. to send response headers.
  virtual Task<Status> begin(uint64_t range_size, uint64_t total_size, const std::string& etag,
                             const std::string& content_type) = 0;
  virtual Task<Status> write(std::span<const char> data) = 0;

 protected:
  ~ByteSink() = default;
};

struct PutOptions {
  std::string content_type = "application/octet-stream";
  bool want_md5 = false;     // compute MD5 of the bytes in flight
  bool want_sha256 = false;  // compute SHA-256 of the bytes in flight
};

struct PutResult {
  uint64_t size = 0;
  std::string etag;        // as the store reports it, without quotes
  std::string md5_hex;     // when asked for
  std::string sha256_hex;  // when asked for
};

struct PartInfo {
  int number = 0;
  uint64_t size = 0;
  std::string etag;  // without quotes
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;
  std::string content_type;
};

// Inclusive byte range; `last` absent means to the end.
struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

struct MultipartUploadRef {
  std::string key;
  std::string upload_id;
};

enum class PresignMethod { get, put, upload_part };

struct PresignedUrl {
  std::string url;
  std::string method;  // "GET" or "PUT"
  int64_t expires_at_unix = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // headers the client must send
};

// What a presigned GET makes the store answer instead of the object's own headers (S3's
// response-content-disposition and response-content-type). They are signed: a client that
// changes them gets a refusal, never another disposition. Empty: the object's own.
struct ResponseOverrides {
  std::string content_disposition;
  std::string content_type;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Streams exactly `size` bytes from `body` into `key`. Fails (and leaves no object) if the
  // source ends early or has more bytes than `size`.
  virtual Task<Result<PutResult>> put(std::string key, uint64_t size, ByteSource& body, PutOptions opts) = 0;
  // Streams a body whose length is known only at its end (chunked requests, form-data parts).
  // Fails with Errc::limit_exceeded, leaving no object, once the body passes `max_size`; may
  // fail with Errc::unavailable when the store lacks the memory to take it now (retry later).
  virtual Task<Result<PutResult>> put_unknown_size(std::string key, uint64_t max_size, ByteSource& body,
                                                   PutOptions opts) = 0;

  virtual Task<Result<std::string>> create_multipart(std::string key, std::string content_type) = 0;
  virtual Task<Result<PartInfo>> upload_part(std::string key, std::string upload_id, int part_number,
                                             uint64_t size, ByteSource& body, PutOptions opts) = 0;
  // Returns the object's etag.
  virtual Task<Result<std::string>> complete_multipart(std::string key, std::string upload_id,
                                                       std::vector<PartInfo> parts) = 0;
  virtual Task<Status> abort_multipart(std::string key, std::string upload_id) = 0;
  virtual Task<Result<std::vector<PartInfo>>> list_parts(std::string key, std::string upload_id) = 0;
  virtual Task<Result<std::vector<MultipartUploadRef>>> list_multipart_uploads(std::string prefix) = 0;

  // Streams the object (or a range of it) into `sink`. Errc::not_found when absent;
  // Errc::invalid_argument for an unsatisfiable range.
  virtual Task<Result<ObjectInfo>> get(std::string key, std::optional<ByteRange> range, ByteSink& sink) = 0;
  virtual Task<Result<ObjectInfo>> head(std::string key) = 0;
  // Deleting a missing key succeeds (as in S3).
  virtual Task<Status> remove(std::string key) = 0;
  virtual Task<Result<std::vector<std::string>>> list(std::string prefix) = 0;

  // A cheap check that the store can take writes now, for /health/ready: S3 a HEAD of the
  // bucket within `deadline`; the local store creates, writes and removes a file in its tmp/
  // (io_uring ops, never blocking the reactor; local disk I/O has no deadline).
  virtual Task<Status> probe(Deadline deadline) = 0;

  // Ops-only (janitor): removes temporary files that no live writer owns any more (what a killed
  // process left); how many entries went. Only the local store has any.
  virtual Task<Result<uint64_t>> sweep_temp_files() { co_return uint64_t{0}; }

  // Releases what the store keeps open (pooled connections, work in flight); awaited before the
  // store is destroyed. The default has nothing to release.
  virtual Task<void> shutdown() { co_return; }

  // A URL a client can use directly; `expires_seconds` must be within the configured bounds.
  // With `content_length` (put, upload_part) the URL stores exactly that many bytes: the length
  // is signed, and `headers` says Content-Length the client must send.
  virtual Result<PresignedUrl> presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                                       int part_number, int64_t expires_seconds, int64_t now_unix,
                                       std::optional<uint64_t> content_length = std::nullopt) = 0;
  // A presigned GET of `key` (a download link) answering with `overrides`; same bounds.
  virtual Result<PresignedUrl> presign_get(const std::string& key, int64_t expires_seconds, int64_t now_unix,
                                           const ResponseOverrides& overrides) = 0;
};

}  // namespace sluice
