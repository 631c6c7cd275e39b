#include "storage/service/uploads/tus/tus_patch.h"

#include "core/log.h"
#include "storage/service/domain_error.h"
#include "storage/service/uploads/tus/tus_body.h"
#include "storage/service/uploads/tus/tus_piece_source.h"
#include "storage/service/uploads/tus/tus_queries.h"
#include "storage/service/uploads/sessions/session_record.h"

namespace sluice {

namespace {

int64_t millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// What the offset, segments and parts become in PostgreSQL at the next advance.
struct Progress {
  uint64_t committed = 0;          // the offset PostgreSQL has
  uint64_t offset = 0;             // the offset the store has
  std::vector<uint64_t> segments;  // tail segment starts at `offset`
  std::vector<PartInfo> parts;     // written since `committed`
  std::vector<std::string> replaced;  // segment objects a written part made useless
  std::vector<std::string> written;   // segment objects written since `committed`
};

Task<Result<std::string>> advance(ServiceContext& ctx, const TusUpload& up, Progress& p, Duration expiry) {
  std::vector<std::string> segs, numbers, sizes, etags;
  for (uint64_t s : p.segments) segs.push_back(std::to_string(s));
  for (const PartInfo& part : p.parts) {
    numbers.push_back(std::to_string(part.number));
    sizes.push_back(std::to_string(part.size));
    etags.push_back(normalize_etag(part.etag));
  }
  auto r = co_await ctx.pg->query(tus_sql::kAdvance, up.session.id, static_cast<int64_t>(p.committed),
                                  static_cast<int64_t>(p.offset), segs, numbers, sizes, etags, millis(expiry));
  if (!r.ok()) co_return std::move(r).error();
  if (!*r->boolean(0, 0))
    co_return domain_error(Reason::conflict, "the upload's offset moved (or it ended) while this PATCH ran");
  std::string expires(r->text(0, 2));
  p.committed = p.offset;
  p.parts.clear();
  p.written.clear();
  std::vector<std::string> old = std::move(p.replaced);
  p.replaced.clear();
  co_await remove_segments(*ctx.store, std::move(old));
  co_return expires;
}

}  // namespace

Task<Result<TusPatchResult>> write_tus_chunk(ServiceContext& ctx, TusUpload up, ByteSource& source, uint64_t length,
                                             std::optional<TusChecksum> checksum, Duration expiry) {
  const SessionRecord& rec = up.session;
  std::optional<TusChecksumHasher> hasher;
  if (checksum) hasher.emplace(checksum->algorithm);
  TusBody body(source, std::move(hasher));
  const uint64_t ps = rec.part_size;
  const uint64_t end = up.offset + length;
  std::optional<uint64_t> total = up.length();
  Progress p;
  p.committed = p.offset = up.offset;
  p.segments = up.segments;
  TusPatchResult out;
  out.expires = up.expires;
  bool at_end = !checksum.has_value();  // advance after each piece unless the chunk must be checked whole
  std::optional<Error> failed;
  PutOptions po;
  po.content_type = rec.content_type;
  // Also runs once with no body bytes when the length just became known at the offset: the
  // tail segments then make the last part.
  while (p.offset < end || (total && p.offset == *total && !p.segments.empty())) {
    uint64_t part_index = (p.segments.empty() ? p.offset : p.segments.front()) / ps;
    uint64_t part_start = part_index * ps;
    uint64_t part_end = part_start + ps;
    if (total) part_end = std::min(part_end, *total);
    if (end >= part_end) {  // this PATCH completes the part: tail segments first, then the body
      std::vector<TusSegment> replay;
      for (size_t i = 0; i < p.segments.size(); ++i) {
        uint64_t seg_end = i + 1 < p.segments.size() ? p.segments[i + 1] : p.offset;
        replay.push_back(TusSegment{up.segment_key(p.segments[i]), seg_end - p.segments[i]});
      }
      TusPieceSource piece(*ctx.store, replay, body, part_end - p.offset);
      std::string store_upload = rec.store_upload_id.value_or("");
      int number = static_cast<int>(part_index + 1);
      auto part = co_await ctx.store->upload_part(rec.object_key, store_upload, number, part_end - part_start, piece, po);
      if (!part.ok()) {
        failed = std::move(part).error();
        break;
      }
      for (const TusSegment& s : replay) p.replaced.push_back(s.key);
      p.parts.push_back(*part);
      p.segments.clear();
      p.offset = part_end;
    } else {  // short of the boundary: a new tail segment
      std::vector<TusSegment> none;
      TusPieceSource piece(*ctx.store, none, body, end - p.offset);
      std::string key = up.segment_key(p.offset);
      auto put = co_await ctx.store->put(key, end - p.offset, piece, po);
      if (!put.ok()) {
        failed = std::move(put).error();
        break;
      }
      p.written.push_back(key);
      p.segments.push_back(p.offset);
      p.offset = end;
    }
    if (at_end) {
      auto moved = co_await advance(ctx, up, p, expiry);
      if (!moved.ok()) co_return std::move(moved).error();
      out.expires = std::move(*moved);
    }
  }
  if (failed) {
    // The piece in flight is lost; what was advanced stays. With a checksum nothing was counted.
    std::vector<std::string> orphans = std::move(p.written);
    co_await remove_segments(*ctx.store, std::move(orphans));
    out.offset = p.committed;
    out.body_error = std::move(*failed);
    co_return out;
  }
  if (checksum) {
    std::string digest = body.finish_digest();
    if (digest != checksum->digest) {
      std::vector<std::string> orphans = std::move(p.written);
      co_await remove_segments(*ctx.store, std::move(orphans));
      co_return domain_error(Reason::checksum_mismatch,
                             "the PATCH body does not match its Upload-Checksum (" + checksum->algorithm +
                                 "); the chunk was discarded, the offset stays " + std::to_string(p.committed));
    }
    if (p.offset != p.committed) {
      auto moved = co_await advance(ctx, up, p, expiry);
      if (!moved.ok()) co_return std::move(moved).error();
      out.expires = std::move(*moved);
    }
  }
  out.offset = p.offset;
  if (total && p.offset == *total) {
    up.offset = p.offset;
    auto file = co_await finish_tus_upload(ctx, std::move(up));
    if (!file.ok()) co_return std::move(file).error();
    out.file = std::move(*file);
  }
  co_return out;
}

}  // namespace sluice
