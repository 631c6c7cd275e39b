#include "db/pg_blocking_connection.h"

#include <libpq-fe.h>

namespace sluice {

PgBlockingConnection::~PgBlockingConnection() { close(); }

void PgBlockingConnection::close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgBlockingConnection::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

Status PgBlockingConnection::connect(const std::string& url, std::chrono::seconds timeout) {
  close();
  std::string t = std::to_string(std::max<long>(1, static_cast<long>(timeout.count())));
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), t.c_str(), "sluice-relay", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_) return Error(Errc::unavailable, "PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    close();
    return Error(Errc::unavailable, "PostgreSQL: " + msg);
  }
  return Status();
}

Result<PgResult> PgBlockingConnection::exec(const std::string& sql,
                                            const std::vector<std::optional<std::string>>& params) {
  if (!conn_) return Error(Errc::unavailable, "PostgreSQL: not connected");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult res(
      PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
  std::string msg = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  bool broken = PQstatus(conn_) != CONNECTION_OK;
  if (broken) close();
  return Error(broken ? Errc::unavailable : Errc::internal, "PostgreSQL: " + msg);
}

}  // namespace sluice
