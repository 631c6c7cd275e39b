// PgBlockingConnection: one plain, blocking libpq connection, for a thread of its own that is
// never a reactor (the event relay). Reactor code uses PgPool; this exists so a worker that
// blocks anyway (on nats.c's calls) can talk to PostgreSQL without owning a reactor, and so
// its session (and the advisory lock it holds) lives exactly as long as the connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "db/pg_result.h"

struct pg_conn;

namespace sluice {

class PgBlockingConnection {
 public:
  PgBlockingConnection() = default;
  ~PgBlockingConnection();
  PgBlockingConnection(const PgBlockingConnection&) = delete;
  PgBlockingConnection& operator=(const PgBlockingConnection&) = delete;

  // Connects (closing any previous session); gives up after `timeout`.
  Status connect(const std::string& url, std::chrono::seconds timeout = std::chrono::seconds(5));
  void close();
  bool connected() const;

  // One statement in the extended protocol, parameters as text (nullopt = NULL). An error
  // result is an Error; a broken connection also closes this one (connected() turns false).
  Result<PgResult> exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {});

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace sluice
