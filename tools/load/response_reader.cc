#include "tools/load/response_reader.h"

#include <algorithm>
#include <charconv>

namespace sluice::load {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<ResponseHead> parse_response_head(std::string_view head) {
  ResponseHead h;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1.")
    return Error(Errc::protocol_error, "not an HTTP/1.x status line: '" + std::string(line.substr(0, 80)) + "'");
  bool http10 = line[7] == '0';
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, h.status);
  if (ec != std::errc() || end != line.data() + 12 || h.status < 100 || h.status > 999)
    return Error(Errc::protocol_error, "bad status in '" + std::string(line.substr(0, 80)) + "'");
  h.keep_alive = !http10;
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view field = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return Error(Errc::protocol_error, "header line without ':'");
    std::string_view name = field.substr(0, colon);
    std::string_view value = trim(field.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [p, err] = std::from_chars(value.data(), value.data() + value.size(), h.content_length);
      if (err != std::errc() || p != value.data() + value.size())
        return Error(Errc::protocol_error, "bad Content-Length '" + std::string(value) + "'");
      h.has_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      h.chunked = icontains(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close")) h.keep_alive = false;
      else if (icontains(value, "keep-alive")) h.keep_alive = true;
    } else if (iequals(name, "etag")) {
      h.etag = std::string(value);
    }
  }
  if (h.chunked) h.has_length = false;
  return h;
}

Task<Status> ResponseReader::fill(TcpStream& s, Duration timeout) {
  auto b = co_await s.recv(deadline_after(timeout));
  if (!b.ok()) co_return std::move(b).error();
  pending_.append(b->bytes().data(), b->size());
  co_return Status();
}

Task<Result<ResponseHead>> ResponseReader::read_head(TcpStream& s, Duration timeout, Deadline* first_byte) {
  if (!pending_.empty()) *first_byte = Clock::now();
  size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (pending_.size() > kMaxHead) co_return Error(Errc::protocol_error, "response head larger than 64 KiB");
    bool was_empty = pending_.empty();
    if (auto st = co_await fill(s, timeout); !st) {
      if (st.error().code == Errc::closed && !pending_.empty())
        co_return Error(Errc::closed, "connection closed in the middle of a response head");
      co_return std::move(st).error();
    }
    if (was_empty) *first_byte = Clock::now();
  }
  auto head = parse_response_head(std::string_view(pending_).substr(0, end));
  pending_.erase(0, end + 4);
  co_return head;
}

void ResponseReader::deliver(std::string_view piece, std::string* kept, size_t keep, PatternVerifier* verifier) {
  if (kept && kept->size() < keep) kept->append(piece.substr(0, keep - kept->size()));
  if (verifier) verifier->feed(std::span<const char>(piece.data(), piece.size()));
}

Task<Result<uint64_t>> ResponseReader::read_body(TcpStream& s, const ResponseHead& head, Duration timeout,
                                                 std::string* kept, size_t keep, PatternVerifier* verifier) {
  if (!head.has_body()) co_return uint64_t{0};
  if (head.has_length) {
    uint64_t left = head.content_length;
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, pending_.size()));
    deliver(std::string_view(pending_).substr(0, n), kept, keep, verifier);
    pending_.erase(0, n);
    left -= n;
    // Straight from the receive buffers: large bodies are never copied into pending_.
    while (left > 0) {
      auto b = co_await s.recv(deadline_after(timeout));
      if (!b.ok()) {
        if (b.error().code == Errc::closed) co_return Error(Errc::closed, "connection closed in the middle of a body");
        co_return std::move(b).error();
      }
      std::string_view piece(b->bytes().data(), b->size());
      size_t take = static_cast<size_t>(std::min<uint64_t>(left, piece.size()));
      deliver(piece.substr(0, take), kept, keep, verifier);
      left -= take;
      if (take < piece.size()) pending_.append(piece.substr(take));
    }
    co_return head.content_length;
  }
  uint64_t total = 0;
  if (!head.chunked) {  // delimited by the end of the connection
    for (;;) {
      deliver(pending_, kept, keep, verifier);
      total += pending_.size();
      pending_.clear();
      if (auto st = co_await fill(s, timeout); !st) {
        if (st.error().code == Errc::closed) co_return total;
        co_return std::move(st).error();
      }
    }
  }
  for (;;) {
    size_t eol;
    while ((eol = pending_.find("\r\n")) == std::string::npos) {
      if (pending_.size() > 1024) co_return Error(Errc::protocol_error, "chunk size line too long");
      if (auto st = co_await fill(s, timeout); !st) co_return std::move(st).error();
    }
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(pending_.data(), pending_.data() + eol, size, 16);
    if (ec != std::errc() || p == pending_.data()) co_return Error(Errc::protocol_error, "bad chunk size line");
    pending_.erase(0, eol + 2);
    if (size == 0) {  // trailers until an empty line
      for (;;) {
        while ((eol = pending_.find("\r\n")) == std::string::npos)
          if (auto st = co_await fill(s, timeout); !st) co_return std::move(st).error();
        pending_.erase(0, eol + 2);
        if (eol == 0) co_return total;
      }
    }
    while (size > 0) {
      if (pending_.empty())
        if (auto st = co_await fill(s, timeout); !st) co_return std::move(st).error();
      size_t n = static_cast<size_t>(std::min<uint64_t>(size, pending_.size()));
      deliver(std::string_view(pending_).substr(0, n), kept, keep, verifier);
      pending_.erase(0, n);
      size -= n;
      total += n;
    }
    while (pending_.size() < 2)
      if (auto st = co_await fill(s, timeout); !st) co_return std::move(st).error();
    if (pending_.compare(0, 2, "\r\n") != 0) co_return Error(Errc::protocol_error, "chunk not followed by CRLF");
    pending_.erase(0, 2);
  }
}

}  // namespace sluice::load
