// LocalStore's multipart uploads (see upload_layout.h for the directory they live in).
#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "core/file.h"
#include "core/log.h"
#include "storage/store/local/dir_listing.h"
#include "storage/store/local/key_path.h"
#include "storage/store/local/local_store.h"
#include "storage/store/local/object_body_reader.h"
#include "storage/store/local/object_body_writer.h"
#include "storage/store/local/object_header.h"
#include "storage/store/local/object_sealing.h"
#include "storage/store/stream_digest.h"

namespace sluice::local {

namespace {

Error no_such_upload(std::string_view upload_id) {
  return Error(Errc::not_found, "no such multipart upload " + std::string(upload_id), "NoSuchUpload");
}

Error invalid_part(std::string msg) { return Error(Errc::invalid_argument, std::move(msg), "InvalidPart"); }

// Etags may arrive quoted and in either case; ours are lower-case hex.
std::string normalize_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  std::string out(etag);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Task<Result<ObjectHeader>> read_part_header(Reactor& r, int root_fd, std::string path, File& out) {
  auto file = co_await File::open(r, root_fd, std::move(path), O_RDONLY);
  if (!file.ok()) co_return std::move(file).error();
  out = std::move(*file);
  co_return co_await read_object_header(out);
}

// Checks a part named by complete against the file on disk (S3's InvalidPart semantics).
Result<ObjectHeader> check_part(Result<ObjectHeader> header, const PartInfo& part) {
  std::string n = std::to_string(part.number);
  if (!header.ok()) {
    if (header.error().code == Errc::not_found) return invalid_part("part " + n + " was not uploaded");
    return std::move(header).error();
  }
  std::string want = normalize_etag(part.etag);
  if (want != header->etag)
    return invalid_part("part " + n + " has etag " + header->etag + ", not the " + want + " listed");
  return header;
}

}  // namespace

Task<Result<UploadMeta>> LocalStore::read_upload_meta(std::string key, std::string upload_id) {
  if (Status s = validate_key(key); !s.ok()) co_return std::move(s).error();
  if (!is_upload_id(upload_id)) co_return no_such_upload(upload_id);
  auto file = co_await File::open(reactor_, root_fd_, upload_meta_path(upload_id), O_RDONLY);
  if (!file.ok()) co_return file.error().code == Errc::not_found ? no_such_upload(upload_id) : std::move(file).error();
  std::array<char, kMaxUploadMetaBytes> buf;
  auto got = co_await file->read_full(buf, 0);
  (void)co_await file->close();
  if (!got.ok()) co_return std::move(got).error();
  auto meta = decode_upload_meta(std::string_view(buf.data(), *got));
  if (meta.ok() && meta->key != key)
    co_return Error(Errc::not_found, "multipart upload " + upload_id + " is not for key " + key, "NoSuchUpload");
  co_return meta;
}

Task<Result<std::string>> LocalStore::create_multipart(std::string key, std::string content_type) {
  if (Status s = validate_key(key); !s.ok()) co_return std::move(s).error();
  if (Status s = validate_content_type(content_type); !s.ok()) co_return std::move(s).error();
  // Built under tmp/ and renamed into uploads/, so an upload never appears without its meta.
  std::string id = new_upload_id();
  std::string staging = temp_path(".upload");
  if (int rc = co_await root_.mkdir(staging); rc < 0) co_return errno_error("mkdir " + staging, rc);
  std::string meta_path = staging + "/meta";
  std::string meta = encode_upload_meta(UploadMeta{key, content_type});
  Status s;
  auto file = co_await File::open(reactor_, root_fd_, meta_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!file.ok()) s = std::move(file).error();
  if (s.ok()) s = co_await file->write_all(meta, 0);
  if (s.ok() && options_.fsync == FsyncPolicy::on_commit) s = co_await file->sync();
  if (file.ok()) {
    Status closed = co_await file->close();
    if (s.ok()) s = std::move(closed);
  }
  if (s.ok()) {
    if (int rc = co_await root_.rename(staging, upload_dir(id)); rc < 0) s = errno_error("rename " + staging, rc);
  }
  if (!s.ok()) {
    co_await root_.unlink(meta_path);
    co_await root_.rmdir(staging);
    co_return std::move(s).error();
  }
  if (options_.fsync == FsyncPolicy::on_commit) {
    if (int rc = co_await root_.sync_dir(std::string(kUploadsDir)); rc < 0) co_return errno_error("fsync uploads", rc);
  }
  co_return id;
}

Task<Status> LocalStore::write_part_slot(std::string upload_id, PartInfo part) {
  auto file = co_await File::open(reactor_, root_fd_, upload_index_path(upload_id), O_WRONLY | O_CREAT, 0644);
  if (!file.ok()) co_return file.error().code == Errc::not_found ? no_such_upload(upload_id) : std::move(file).error();
  std::array<char, kPartSlotSize> slot;
  encode_part_slot(part, slot);
  Status s = co_await file->write_all(slot, static_cast<uint64_t>(part.number - 1) * kPartSlotSize);
  if (s.ok() && options_.fsync == FsyncPolicy::on_commit) s = co_await file->sync();
  Status closed = co_await file->close();
  co_return s.ok() ? closed : s;
}

Task<Result<PartInfo>> LocalStore::upload_part(std::string key, std::string upload_id, int part_number,
                                               uint64_t size, ByteSource& body, PutOptions opts) {
  (void)opts;  // a part's MD5 is always computed (its etag); PartInfo has no room for a SHA-256
  if (part_number < 1 || part_number > kMaxPartNumber)
    co_return Error(Errc::invalid_argument, "part number must be within 1.." + std::to_string(kMaxPartNumber));
  auto meta = co_await read_upload_meta(key, upload_id);
  if (!meta.ok()) co_return std::move(meta).error();
  auto staged = co_await stage(size, body, false, "");
  if (!staged.ok()) co_return std::move(staged).error();
  Status s = co_await publish(staged->tmp_path, upload_part_path(upload_id, part_number), false);
  if (!s.ok()) co_return std::move(s).error();
  PartInfo part{part_number, size, staged->digest.md5_hex};
  if (Status w = co_await write_part_slot(upload_id, part); !w.ok()) co_return std::move(w).error();
  co_return part;
}

Task<Result<std::vector<PartInfo>>> LocalStore::read_part_index(std::string index_path) {
  std::vector<PartInfo> parts;
  auto file = co_await File::open(reactor_, root_fd_, index_path, O_RDONLY);
  if (!file.ok()) {
    if (file.error().code == Errc::not_found) co_return parts;  // no part yet
    co_return std::move(file).error();
  }
  constexpr size_t kSlotsPerRead = 256;
  std::unique_ptr<char[]> buf(new char[kSlotsPerRead * kPartSlotSize]);
  for (int first = 1; first <= kMaxPartNumber; first += static_cast<int>(kSlotsPerRead)) {
    auto got = co_await file->read_full(std::span<char>(buf.get(), kSlotsPerRead * kPartSlotSize),
                                        static_cast<uint64_t>(first - 1) * kPartSlotSize);
    if (!got.ok()) {
      (void)co_await file->close();
      co_return std::move(got).error();
    }
    for (size_t i = 0; i + kPartSlotSize <= *got; i += kPartSlotSize) {
      auto p = decode_part_slot(std::span<const char, kPartSlotSize>(buf.get() + i, kPartSlotSize),
                                first + static_cast<int>(i / kPartSlotSize));
      if (p) parts.push_back(std::move(*p));
    }
    if (*got < kSlotsPerRead * kPartSlotSize) break;
  }
  (void)co_await file->close();
  co_return parts;
}

Task<Result<std::vector<PartInfo>>> LocalStore::list_parts(std::string key, std::string upload_id) {
  auto meta = co_await read_upload_meta(key, upload_id);
  if (!meta.ok()) co_return std::move(meta).error();
  co_return co_await read_part_index(upload_index_path(upload_id));
}

Task<Result<std::vector<MultipartUploadRef>>> LocalStore::list_multipart_uploads(std::string prefix) {
  auto entries = list_directory(root_fd_, std::string(kUploadsDir));
  if (!entries.ok()) co_return std::move(entries).error();
  std::vector<MultipartUploadRef> out;
  for (const DirEntry& e : *entries) {
    if (!e.is_dir || !is_upload_id(e.name)) continue;
    auto file = co_await File::open(reactor_, root_fd_, upload_meta_path(e.name), O_RDONLY);
    if (!file.ok()) continue;  // completed or aborted meanwhile
    std::array<char, kMaxUploadMetaBytes> buf;
    auto got = co_await file->read_full(buf, 0);
    (void)co_await file->close();
    if (!got.ok()) continue;
    auto meta = decode_upload_meta(std::string_view(buf.data(), *got));
    if (meta.ok() && meta->key.starts_with(prefix)) out.push_back(MultipartUploadRef{meta->key, e.name});
  }
  std::sort(out.begin(), out.end(), [](const MultipartUploadRef& a, const MultipartUploadRef& b) {
    return a.key != b.key ? a.key < b.key : a.upload_id < b.upload_id;
  });
  co_return out;
}

Task<Status> LocalStore::remove_upload(std::string upload_id) {
  // Moved out of uploads/ first: the upload vanishes at once and a racing upload_part fails.
  std::string dead = temp_path(".dead");
  if (int rc = co_await root_.rename(upload_dir(upload_id), dead); rc < 0)
    co_return rc == -ENOENT ? Status(no_such_upload(upload_id)) : Status(errno_error("rename upload", rc));
  auto parts = co_await read_part_index(dead + "/parts.idx");
  if (parts.ok()) {
    for (const PartInfo& p : *parts) co_await root_.unlink(dead + "/" + upload_part_name(p.number));
  }
  co_await root_.unlink(dead + "/parts.idx");
  co_await root_.unlink(dead + "/meta");
  int rc = co_await root_.rmdir(dead);
  if (rc == -ENOTEMPTY) {
    // A part renamed in without its index slot (a crash, or a racing upload_part): rare, so
    // the blocking listing is acceptable here.
    if (auto left = list_directory(root_fd_, dead); left.ok())
      for (const DirEntry& e : *left) co_await root_.unlink(dead + "/" + e.name);
    rc = co_await root_.rmdir(dead);
  }
  if (rc < 0) co_return errno_error("remove multipart upload directory " + dead, rc);
  co_return Status{};
}

Task<Status> LocalStore::abort_multipart(std::string key, std::string upload_id) {
  auto meta = co_await read_upload_meta(key, upload_id);
  if (!meta.ok()) co_return std::move(meta).error();
  co_return co_await remove_upload(upload_id);
}

Task<Status> LocalStore::join_parts(std::string upload_id, std::vector<PartInfo> parts, std::string tmp_path,
                                    std::string etag, uint64_t total, std::string content_type) {
  auto out = co_await File::open(reactor_, root_fd_, tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!out.ok()) co_return std::move(out).error();
  // The object gets a data key of its own: parts are decrypted and sealed again as one body.
  std::optional<NewSealing> sealing;
  Status s = seal_if_keyed(options_.keys.get(), sealing);
  ObjectHeader joined{total, etag, content_type, std::nullopt};
  if (sealing) joined.envelope = sealing->envelope;
  if (s.ok()) s = co_await write_object_header(*out, joined);
  ObjectBodyWriter writer(*out, object_header_bytes(joined), sealing ? sealing->cipher.get() : nullptr);
  for (size_t i = 0; s.ok() && i < parts.size(); ++i) {
    File in;
    // Re-checked: the part may have been replaced since validation.
    auto read = co_await read_part_header(reactor_, root_fd_, upload_part_path(upload_id, parts[i].number), in);
    auto header = check_part(std::move(read), parts[i]);
    if (!header.ok()) s = std::move(header).error();
    auto cipher = header.ok() ? cipher_for(options_.keys.get(), *header) : std::unique_ptr<SegmentCipher>();
    if (s.ok() && !cipher.ok()) s = std::move(cipher).error();
    if (s.ok()) {
      ObjectBodyReader reader(in, *header, cipher->get(), options_.chunk_size, 0, header->size);
      while (s.ok()) {
        auto bytes = co_await reader.next();
        if (!bytes.ok()) s = std::move(bytes).error();
        else if (bytes->empty()) break;
        else s = co_await writer.write(*bytes);
      }
    }
    (void)co_await in.close();
  }
  if (s.ok()) s = co_await writer.finish();
  if (s.ok() && writer.plain_bytes() != total) s = Error(Errc::internal, "joined parts changed size");
  if (s.ok() && options_.fsync == FsyncPolicy::on_commit) s = co_await out->sync();
  Status closed = co_await out->close();
  co_return s.ok() ? closed : s;
}

Task<Result<std::string>> LocalStore::complete_multipart(std::string key, std::string upload_id,
                                                         std::vector<PartInfo> parts) {
  auto meta = co_await read_upload_meta(key, upload_id);
  if (!meta.ok()) co_return std::move(meta).error();
  auto dest = object_path_for_key(key);
  if (!dest.ok()) co_return std::move(dest).error();
  if (parts.empty()) co_return Error(Errc::invalid_argument, "completing a multipart upload needs at least one part");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].number < 1 || parts[i].number > kMaxPartNumber)
      co_return invalid_part("part number " + std::to_string(parts[i].number) + " is outside 1.." +
                             std::to_string(kMaxPartNumber));
    if (i > 0 && parts[i].number <= parts[i - 1].number)
      co_return Error(Errc::invalid_argument, "parts must be listed in ascending order without repeats",
                      "InvalidPartOrder");
  }
  // Validate every part before copying a byte: S3 refuses a bad list without side effects, and
  // reports a missing or mismatched part (InvalidPart) before a small one (EntityTooSmall).
  StreamDigest md5_of_md5s(true, false);
  uint64_t total = 0;
  std::vector<uint64_t> sizes;
  sizes.reserve(parts.size());
  for (const PartInfo& part : parts) {
    File in;
    auto read = co_await read_part_header(reactor_, root_fd_, upload_part_path(upload_id, part.number), in);
    (void)co_await in.close();
    auto header = check_part(std::move(read), part);
    if (!header.ok()) co_return std::move(header).error();
    std::array<unsigned char, 16> md5{};
    if (!from_hex(header->etag, md5)) co_return Error(Errc::internal, "part file has a malformed etag");
    md5_of_md5s.update(std::span<const char>(reinterpret_cast<const char*>(md5.data()), md5.size()));
    sizes.push_back(header->size);
    total += header->size;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (sizes[i] < options_.min_part_size)
      co_return Error(Errc::invalid_argument,
                      "part " + std::to_string(parts[i].number) + " is " + std::to_string(sizes[i]) +
                          " bytes; every part but the last must be at least " + std::to_string(options_.min_part_size),
                      "EntityTooSmall");
  }
  std::string etag = md5_of_md5s.finish().md5_hex + "-" + std::to_string(parts.size());
  std::string tmp = temp_path();
  Status s = co_await join_parts(upload_id, parts, tmp, etag, total, meta->content_type);
  if (!s.ok()) {
    co_await root_.unlink(tmp);
    co_return std::move(s).error();
  }
  s = co_await publish(tmp, std::string(kObjectsDir) + "/" + *dest, true);
  if (!s.ok()) co_return std::move(s).error();
  // The object is committed; a leftover upload directory is only garbage for the janitor.
  if (Status r = co_await remove_upload(upload_id); !r.ok())
    log_event(LogLevel::warn, "local_upload_cleanup_failed", {{"upload_id", upload_id}, {"error", r.error().message}});
  co_return etag;
}

}  // namespace sluice::local
