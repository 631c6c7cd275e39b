// LlhttpSession: the one place that talks to llhttp. It owns the parser and its settings,
// joins a header's name and value across callbacks, executes spans (never a null pointer) and
// turns llhttp's results into an Outcome. RequestParser and ResponseParser each own one and
// keep their own rules in a Handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

class LlhttpSession {
 public:
  enum class Kind { request, response };
  // What a callback tells llhttp to do next.
  enum class Next {
    proceed,
    pause,    // stop execute() right after this callback
    no_body,  // from on_headers_complete only: the message has no body (a HEAD response)
    fail,     // the handler recorded why; execute() reports Status::error
  };

  // The parser's side of the callbacks, called from inside execute() and finish().
  class Handler {
   public:
    virtual Next on_message_begin() = 0;
    virtual Next on_url(std::string_view /*part*/) { return Next::proceed; }
    // One complete header, joined from however many spans llhttp delivered it in.
    virtual Next on_header(std::string name, std::string value) = 0;
    virtual Next on_headers_complete() = 0;
    virtual Next on_body(std::span<const char> part) = 0;
    virtual Next on_message_complete() = 0;

   protected:
    ~Handler() = default;
  };

  enum class Status { done, paused, upgrade, error };
  struct Outcome {
    Status status = Status::done;
    size_t consumed = 0;  // bytes of the input used up (to the pause for paused and upgrade)
    std::string error;    // for Status::error and Status::upgrade: llhttp's name and reason
  };

  LlhttpSession(Kind kind, Handler& handler);
  ~LlhttpSession();
  LlhttpSession(const LlhttpSession&) = delete;
  LlhttpSession& operator=(const LlhttpSession&) = delete;

  // Runs llhttp over `data` until it ends or a callback pauses; resumes after a pause so the
  // next call continues. After Status::upgrade, call resume_after_upgrade() to go on.
  Outcome execute(std::span<const char> data);
  void resume_after_upgrade();
  // The input ended: true when llhttp accepts that as the end of the message.
  bool finish();

  // Facts about the current message, valid from on_headers_complete on.
  std::string_view method() const;
  int status_code() const;
  int http_major() const;
  int http_minor() const;
  bool keep_alive() const;
  bool chunked() const;
  std::optional<uint64_t> content_length() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice
