// S3Store: the ObjectStore on an S3-compatible service, over this core's keep-alive HTTP
// pool. Bodies stream both ways through a fixed window; objects above a threshold go up as
// multipart uploads whose parts are cut from the same stream. Idempotent calls are retried
// with jittered backoff; a request whose streamed body was already read never is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "core/socket_address.h"
#include "core/task.h"
#include "http/client_pool.h"
#include "http/tls_session.h"
#include "storage/store/s3/body_cursor.h"
#include "storage/store/s3/part_buffer.h"
#include "storage/store/s3/part_plan.h"
#include "storage/store/s3/retry_policy.h"
#include "storage/store/s3/s3_endpoint.h"
#include "storage/store/s3/sigv4.h"
#include "storage/store/object_store.h"

namespace sluice {

struct S3StoreOptions {
  s3::S3Endpoint endpoint;        // scheme, host, port, bucket, path_style, region
  s3::S3Credentials credentials;
  uint64_t part_size = 8 * s3::kMiB;             // multipart part size (grown past 10,000 parts)
  uint64_t multipart_threshold = 64 * s3::kMiB;  // larger objects go up in parts; <= 5 GiB
  TlsClientOptions tls;    // https endpoints: CA file (default: system store), verification
  ClientPoolOptions pool;  // connection limits, connect timeout, per-step io timeout
  // Overall deadline of a request without a streamed body (HEAD, DELETE, list, complete...).
  Duration request_timeout = std::chrono::seconds(30);
  s3::RetryOptions retry;
  int64_t presign_min_expiry = 60;      // seconds
  int64_t presign_max_expiry = 604800;  // seconds; S3's own limit is 7 days
  // Memory this store (one core) may hold for bodies of unknown length, each of which buffers up
  // to one part at a time; past it such uploads wait (first come, first served) for at most
  // unknown_size_buffer_wait, then are refused with Errc::unavailable (0: refused at once).
  uint64_t unknown_size_buffer_budget = 64 * s3::kMiB;
  Duration unknown_size_buffer_wait = std::chrono::seconds(30);
  // Server-side encryption asked for on every PUT and CreateMultipartUpload, and checked on HEAD:
  // "" (the bucket's default), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS, with the key id when set).
  std::string sse;
  std::string sse_kms_key_id;
};

class S3Store final : public ObjectStore {
 public:
  // Checks the options and resolves the endpoint's host: blocking DNS, so start-up only.
  static Result<SocketAddress> resolve_endpoint(const s3::S3Endpoint& endpoint);
  static Result<std::unique_ptr<S3Store>> create(Reactor& r, S3StoreOptions options);
  // With an address resolved once at start-up and shared by every core's store.
  static Result<std::unique_ptr<S3Store>> create(Reactor& r, S3StoreOptions options, SocketAddress address);
  ~S3Store() override;

  Task<Result<PutResult>> put(std::string key, uint64_t size, ByteSource& body, PutOptions opts) override;
  // Buffers the body a part at a time (memory from the buffer budget): one PUT when it ends
  // within the first part, else a multipart upload of equal parts, aborted on any failure.
  Task<Result<PutResult>> put_unknown_size(std::string key, uint64_t max_size, ByteSource& body,
                                           PutOptions opts) override;
  Task<Result<std::string>> create_multipart(std::string key, std::string content_type) override;
  Task<Result<PartInfo>> upload_part(std::string key, std::string upload_id, int part_number, uint64_t size,
                                     ByteSource& body, PutOptions opts) override;
  Task<Result<std::string>> complete_multipart(std::string key, std::string upload_id,
                                               std::vector<PartInfo> parts) override;
  Task<Status> abort_multipart(std::string key, std::string upload_id) override;
  Task<Result<std::vector<PartInfo>>> list_parts(std::string key, std::string upload_id) override;
  Task<Result<std::vector<MultipartUploadRef>>> list_multipart_uploads(std::string prefix) override;
  Task<Result<ObjectInfo>> get(std::string key, std::optional<ByteRange> range, ByteSink& sink) override;
  Task<Result<ObjectInfo>> head(std::string key) override;
  Task<Status> remove(std::string key) override;
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  Task<Status> probe(Deadline deadline) override;
  Result<PresignedUrl> presign(PresignMethod method, const std::string& key, const std::string& upload_id,
                               int part_number, int64_t expires_seconds, int64_t now_unix,
                               std::optional<uint64_t> content_length = std::nullopt) override;
  Result<PresignedUrl> presign_get(const std::string& key, int64_t expires_seconds, int64_t now_unix,
                                   const ResponseOverrides& overrides) override;

  // Creates the bucket (tests and operations); an existing bucket of ours is success.
  Task<Status> create_bucket();
  // Closes pooled connections; await before destroying the store.
  Task<void> shutdown() override { co_await pool_.shutdown(); }

  const ClientPool& pool() const { return pool_; }
  const S3StoreOptions& options() const { return options_; }
  // Bytes of the buffer budget charged by uploads of unknown size in flight.
  uint64_t buffered_bytes() const { return buffer_budget_.used(); }

 private:
  struct Call;
  struct Exchange;

  S3Store(Reactor& r, S3StoreOptions options, SocketAddress address);
  // One attempt: sign, send, read the head. Non-2xx replies become typed errors here, and
  // `retry_worthy` is cleared when S3 says the reply is final. (Private helpers take references:
  // they are always awaited at once by a caller that owns the referents.)
  Task<Result<Exchange>> attempt(const Call& call, Deadline d, bool& retry_worthy);
  // attempt() again while the call allows it and the error is worth it.
  Task<Result<Exchange>> perform(const Call& call, Deadline d);
  // perform() and read a small (XML) success body.
  Task<Result<std::string>> perform_xml(Call call);
  // Adds the configured server-side encryption headers to a PUT or CreateMultipartUpload.
  void add_sse_headers(Call& call) const;
  // Streams `size` bytes of `cursor` as one PUT (of an object, or of a part when upload_id
  // is set); returns the ETag without quotes.
  Task<Result<std::string>> put_stream(const std::string& key, const std::string& upload_id, uint32_t part_number,
                                       uint64_t size, s3::BodyCursor& cursor, const std::string& content_type);
  Task<Result<PutResult>> put_multipart(std::string key, s3::PartPlan plan, s3::BodyCursor& cursor,
                                        std::string content_type);
  // PUTs bytes held in memory (an object, or a part when upload_id is set): replayable, so
  // retried like any idempotent call. Returns the ETag without quotes.
  Task<Result<std::string>> put_held(const std::string& key, const std::string& upload_id, uint32_t part_number,
                                     std::span<const char> bytes, const std::string& content_type);
  // The multipart half of put_unknown_size: `buffer` holds the first part, and more follows.
  // Returns the object's ETag; aborts the upload on failure.
  Task<Result<std::string>> put_unknown_parts(const std::string& key, uint64_t part_size, s3::PartBuffer& buffer,
                                              s3::PartFiller& filler, const std::string& content_type);

  Reactor& r_;
  S3StoreOptions options_;
  std::unique_ptr<TlsClientContext> tls_;  // before pool_: its connections point at it
  ClientPool pool_;
  s3::SigV4Signer signer_;
  s3::RetryPolicy retry_;
  s3::PartBufferBudget buffer_budget_;
};

}  // namespace sluice
