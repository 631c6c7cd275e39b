#include "http/llhttp_session.h"

#include <llhttp.h>

namespace sluice {

struct LlhttpSession::State {
  llhttp_t parser{};
  llhttp_settings_t settings{};
  Handler* handler = nullptr;
  std::string field;
  std::string value;
  bool in_value = false;

  static State& of(llhttp_t* p) { return *static_cast<State*>(p->data); }

  static int to_llhttp(Next next) {
    switch (next) {
      case Next::proceed: return 0;
      case Next::pause: return HPE_PAUSED;
      case Next::no_body: return 1;
      case Next::fail: return -1;
    }
    return -1;
  }

  Next commit_header() {
    if (field.empty() && !in_value) return Next::proceed;
    Next next = handler->on_header(std::move(field), std::move(value));
    if (next == Next::fail) return next;
    field.clear();
    value.clear();
    in_value = false;
    return next;
  }

  static int on_message_begin(llhttp_t* p) {
    State& s = of(p);
    s.field.clear();
    s.value.clear();
    s.in_value = false;
    return to_llhttp(s.handler->on_message_begin());
  }
  static int on_url(llhttp_t* p, const char* at, size_t len) {
    return to_llhttp(of(p).handler->on_url(std::string_view(at, len)));
  }
  static int on_header_field(llhttp_t* p, const char* at, size_t len) {
    State& s = of(p);
    if (s.in_value && s.commit_header() == Next::fail) return -1;
    s.field.append(at, len);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, size_t len) {
    State& s = of(p);
    s.in_value = true;
    s.value.append(at, len);
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    State& s = of(p);
    if (s.commit_header() == Next::fail) return -1;
    return to_llhttp(s.handler->on_headers_complete());
  }
  static int on_body(llhttp_t* p, const char* at, size_t len) {
    return to_llhttp(of(p).handler->on_body(std::span<const char>(at, len)));
  }
  static int on_message_complete(llhttp_t* p) { return to_llhttp(of(p).handler->on_message_complete()); }
};

LlhttpSession::LlhttpSession(Kind kind, Handler& handler) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.handler = &handler;
  llhttp_settings_init(&s.settings);
  s.settings.on_message_begin = &State::on_message_begin;
  if (kind == Kind::request) s.settings.on_url = &State::on_url;
  s.settings.on_header_field = &State::on_header_field;
  s.settings.on_header_value = &State::on_header_value;
  s.settings.on_headers_complete = &State::on_headers_complete;
  s.settings.on_body = &State::on_body;
  s.settings.on_message_complete = &State::on_message_complete;
  llhttp_init(&s.parser, kind == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE, &s.settings);
  s.parser.data = &s;
}

LlhttpSession::~LlhttpSession() = default;

LlhttpSession::Outcome LlhttpSession::execute(std::span<const char> data) {
  State& s = *state_;
  // llhttp computes data + len: with an empty span's null pointer that is undefined (UBSan).
  // Empty input still matters: it lets llhttp finish a message that needs no more bytes.
  static constexpr char kNoBytes[1] = {};
  if (data.data() == nullptr) data = std::span<const char>(kNoBytes, 0);
  Outcome out;
  llhttp_errno_t err = llhttp_execute(&s.parser, data.data(), data.size());
  if (err == HPE_OK) {
    out.consumed = data.size();
    return out;
  }
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    out.consumed = static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data.data());
    if (err == HPE_PAUSED) {
      out.status = Status::paused;
      llhttp_resume(&s.parser);
      return out;
    }
    out.status = Status::upgrade;
  } else {
    out.status = Status::error;
  }
  out.error = std::string(llhttp_errno_name(err)) + " (" + (s.parser.reason ? s.parser.reason : "") + ")";
  return out;
}

void LlhttpSession::resume_after_upgrade() { llhttp_resume_after_upgrade(&state_->parser); }

bool LlhttpSession::finish() {
  llhttp_errno_t err = llhttp_finish(&state_->parser);
  return err == HPE_OK || err == HPE_PAUSED;
}

std::string_view LlhttpSession::method() const {
  return llhttp_method_name(static_cast<llhttp_method_t>(state_->parser.method));
}
int LlhttpSession::status_code() const { return state_->parser.status_code; }
int LlhttpSession::http_major() const { return state_->parser.http_major; }
int LlhttpSession::http_minor() const { return state_->parser.http_minor; }
bool LlhttpSession::keep_alive() const { return llhttp_should_keep_alive(&state_->parser) != 0; }
bool LlhttpSession::chunked() const { return (state_->parser.flags & F_CHUNKED) != 0; }
std::optional<uint64_t> LlhttpSession::content_length() const {
  if ((state_->parser.flags & F_CONTENT_LENGTH) == 0) return std::nullopt;
  return state_->parser.content_length;
}

}  // namespace sluice
