#include "storage/service/shares/shares.h"

#include <algorithm>
#include <charconv>

#include "storage/service/auth/base64url.h"
#include "storage/service/domain_error.h"
#include "storage/service/shares/share_queries.h"
#include "storage/service/shares/share_token.h"
#include "storage/service/uploads/direct/direct_upload.h"

namespace sluice::service {

namespace {

constexpr const char* kNoSuchShare = "no such share";

std::optional<int64_t> opt_int(const PgResult& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  auto v = r.int64(row, col);
  if (!v.ok()) return std::nullopt;
  return *v;
}

ShareInfo share_from_row(const PgResult& r, int row) {
  ShareInfo s;
  s.id = std::string(r.text(row, 0));
  s.file_id = std::string(r.text(row, 1));
  s.expires_at = r.opt_text(row, 2);
  s.max_downloads = opt_int(r, row, 3);
  s.download_count = opt_int(r, row, 4).value_or(0);
  s.allow_download = r.text(row, 5) == "t";
  s.password_required = r.text(row, 6) == "t";
  s.note = std::string(r.text(row, 7));
  s.created_at = std::string(r.text(row, 8));
  s.last_accessed_at = r.opt_text(row, 9);
  s.created_micros = opt_int(r, row, 10).value_or(0);
  return s;
}

std::string encode_cursor(const ShareInfo& s) {
  return auth::base64url_encode(std::to_string(s.created_micros) + "_" + s.id);
}

struct Cursor {
  int64_t micros = 0;
  std::string id;
};

std::optional<Cursor> decode_cursor(std::string_view text) {
  auto raw = auth::base64url_decode(text);
  if (!raw) return std::nullopt;
  size_t sep = raw->find('_');
  if (sep == std::string::npos) return std::nullopt;
  Cursor c;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + sep, c.micros);
  if (ec != std::errc() || end != raw->data() + sep) return std::nullopt;
  c.id = raw->substr(sep + 1);
  if (!looks_like_uuid(c.id)) return std::nullopt;
  return c;
}

Error no_share(std::string_view id) {
  return domain_error(Reason::not_found, "no share with id '" + std::string(id) + "'");
}

}  // namespace

Task<Result<CreatedShare>> create_share(PgPool& pg, std::string owner, std::string file_id, NewShare s) {
  if (!looks_like_uuid(file_id)) co_return domain_error(Reason::not_found, "no file with id '" + file_id + "'");
  for (int attempt = 0; attempt < 2; ++attempt) {  // 256-bit tokens: a collision is a formality
    auto token = generate_share_token();
    if (!token.ok()) co_return std::move(token).error();
    auto r = co_await pg.query(share_sql::kCreateShare, file_id, owner, token->hash, s.password_hash, s.allow_download,
                               s.expires_millis, s.max_downloads, s.note);
    if (!r.ok() && r.error().code == Errc::already_exists) continue;
    if (!r.ok()) co_return std::move(r).error();
    if (r->rows() == 0) {
      auto st = co_await pg.query(share_sql::kOwnedFileStatus, file_id, owner);
      if (!st.ok()) co_return std::move(st).error();
      if (st->rows() == 1 && st->text(0, 0) == "trashed")
        co_return domain_error(Reason::conflict, "the file is in the trash; restore it before sharing it");
      co_return domain_error(Reason::not_found, "no file with id '" + file_id + "'");
    }
    CreatedShare out;
    out.share = share_from_row(*r, 0);
    out.token = std::move(token->token);
    co_return out;
  }
  co_return Error(Errc::internal, "could not allocate a unique share token");
}

Task<Result<SharePage>> list_shares(PgPool& pg, std::string owner, std::optional<std::string> file_id,
                                    std::optional<std::string> cursor, int limit) {
  std::optional<int64_t> after_micros;
  std::optional<std::string> after_id;
  if (cursor) {
    auto c = decode_cursor(*cursor);
    if (!c) co_return domain_error(Reason::invalid_cursor, "cursor is not one this API returned");
    after_micros = c->micros;
    after_id = std::move(c->id);
  }
  if (file_id) {
    std::string unknown = "no file with id '" + *file_id + "'";
    if (!looks_like_uuid(*file_id)) co_return domain_error(Reason::not_found, std::move(unknown));
    auto st = co_await pg.query(share_sql::kOwnedFileStatus, *file_id, owner);
    if (!st.ok()) co_return std::move(st).error();
    if (st->rows() == 0) co_return domain_error(Reason::not_found, std::move(unknown));
  }
  auto r = co_await pg.query(share_sql::kListShares, owner, file_id, after_micros, after_id, limit + 1);
  if (!r.ok()) co_return std::move(r).error();
  SharePage page;
  int n = std::min(r->rows(), limit);
  page.items.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) page.items.push_back(share_from_row(*r, i));
  if (r->rows() > limit && !page.items.empty()) page.next_cursor = encode_cursor(page.items.back());
  co_return page;
}

Task<Result<ShareInfo>> change_share(PgPool& pg, std::string owner, std::string id, ShareChange c) {
  if (!looks_like_uuid(id)) co_return no_share(id);
  if (c.max_downloads && *c.max_downloads) {
    auto cur = co_await pg.query(share_sql::kGetShare, id, owner);
    if (!cur.ok()) co_return std::move(cur).error();
    if (cur->rows() == 0) co_return no_share(id);
    ShareInfo now = share_from_row(*cur, 0);
    if (**c.max_downloads < now.download_count)
      co_return domain_error(Reason::conflict, "maxDownloads cannot be below the " +
                                                   std::to_string(now.download_count) + " downloads already made");
  }
  std::optional<int64_t> expires = c.expires_millis ? *c.expires_millis : std::nullopt;
  std::optional<int64_t> max = c.max_downloads ? *c.max_downloads : std::nullopt;
  std::optional<std::string> password = c.password_hash ? *c.password_hash : std::nullopt;
  auto r = co_await pg.query(share_sql::kChangeShare, id, owner, c.expires_millis.has_value(), expires,
                             c.max_downloads.has_value(), max, c.password_hash.has_value(), password,
                             c.allow_download.has_value(), c.allow_download.value_or(true), c.note.has_value(),
                             c.note.value_or(""));
  if (!r.ok()) {
    // A download counted between the check and the update: the table's CHECK refused.
    if (r.error().code == Errc::invalid_argument || r.error().code == Errc::conflict)
      co_return domain_error(Reason::conflict, "maxDownloads cannot be below the downloads already made");
    co_return std::move(r).error();
  }
  if (r->rows() == 0) co_return no_share(id);
  co_return share_from_row(*r, 0);
}

Task<Status> revoke_share(PgPool& pg, std::string owner, std::string id) {
  if (!looks_like_uuid(id)) co_return no_share(id);
  auto r = co_await pg.query(share_sql::kRevokeShare, id, owner);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return no_share(id);
  co_return Status();
}

Task<Result<OpenShare>> open_share(PgPool& pg, std::string token) {
  std::string hash = share_token_hash(token);  // hashed first: the lookup never sees the token
  auto r = co_await pg.query(share_sql::kOpenShare, hash);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::not_found, kNoSuchShare);
  OpenShare s;
  s.id = std::string(r->text(0, 0));
  s.password_hash = r->opt_text(0, 1);
  s.password_version = static_cast<int32_t>(opt_int(*r, 0, 2).value_or(0));
  s.allow_download = r->text(0, 3) == "t";
  s.expires_at = r->opt_text(0, 4);
  s.max_downloads = opt_int(*r, 0, 5);
  s.download_count = opt_int(*r, 0, 6).value_or(0);
  s.touch_due = r->text(0, 7) == "t";
  auto f = file_from_row(*r, 0, 8);
  if (!f.ok()) co_return std::move(f).error();
  s.file = std::move(*f);
  if (s.max_downloads && s.download_count >= *s.max_downloads)
    co_return domain_error(Reason::share_exhausted, "this share's download limit is used up");
  co_return s;
}

Task<Status> count_share_download(PgPool& pg, std::string share_id) {
  auto r = co_await pg.query(share_sql::kCountDownload, share_id);
  if (!r.ok()) co_return std::move(r).error();
  if (r->rows() == 0) co_return domain_error(Reason::share_exhausted, "this share's download limit is used up");
  co_return Status();
}

Task<void> touch_share(PgPool& pg, std::string share_id) {
  (void)co_await pg.query(share_sql::kTouchShare, share_id);  // best effort: a missed touch is harmless
}

Task<Result<int>> count_unlock_attempt(PgPool& pg, std::vector<std::string> subjects) {
  std::sort(subjects.begin(), subjects.end());
  auto r = co_await pg.query(share_sql::kCountUnlockAttempt, subjects);
  if (!r.ok()) co_return std::move(r).error();
  int retry_after = 0;
  for (int i = 0; i < r->rows(); ++i) {
    int64_t attempts = opt_int(*r, i, 0).value_or(0);
    int64_t left = opt_int(*r, i, 1).value_or(60);
    if (attempts > kUnlockAttemptsPerMinute) retry_after = std::max<int>(retry_after, static_cast<int>(left));
  }
  co_return retry_after;
}

Task<void> forgive_unlock_attempt(PgPool& pg, std::vector<std::string> subjects) {
  (void)co_await pg.query(share_sql::kForgiveUnlockAttempt, subjects);
}

}  // namespace sluice::service
