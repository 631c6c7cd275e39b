#include "db/pg_error.h"

#include <libpq-fe.h>

#include <string>

namespace sluice {

Errc pg_errc_for_sqlstate(std::string_view s) {
  if (s.size() != 5) return Errc::internal;
  if (s == "23505") return Errc::already_exists;      // unique_violation
  if (s == "23514") return Errc::invalid_argument;    // check_violation: the data broke a rule
  if (s == "23502") return Errc::invalid_argument;    // not_null_violation
  if (s == "23503") return Errc::conflict;            // foreign_key_violation
  if (s == "23P01") return Errc::conflict;            // exclusion_violation
  if (s == "40001" || s == "40P01") return Errc::conflict;  // serialization failure, deadlock
  if (s == "57014") return Errc::timeout;             // query_canceled (statement_timeout)
  if (s == "55P03") return Errc::timeout;             // lock_not_available (lock_timeout)
  if (s == "25P03") return Errc::timeout;             // idle_in_transaction_session_timeout
  if (s == "42501") return Errc::permission_denied;   // insufficient_privilege
  if (s == "53400") return Errc::limit_exceeded;      // configuration_limit_exceeded
  std::string_view cls = s.substr(0, 2);
  if (cls == "08") return Errc::unavailable;  // connection exception
  if (cls == "57") return Errc::unavailable;  // operator intervention (admin shutdown, ...)
  if (cls == "53") return Errc::unavailable;  // insufficient resources (too many connections)
  if (cls == "58") return Errc::unavailable;  // system error (I/O)
  if (cls == "28") return Errc::unauthenticated;
  if (cls == "22") return Errc::invalid_argument;  // data exception (bad input syntax, range)
  if (cls == "23") return Errc::conflict;          // other integrity violations
  if (cls == "40") return Errc::conflict;          // transaction rollback
  if (cls == "P0") return Errc::invalid_argument;  // raised by PL/pgSQL (RAISE)
  return Errc::internal;  // syntax errors, undefined objects: a bug in our SQL
}

Error pg_result_error(const pg_result* res) {
  if (!res) return Error(Errc::internal, "PostgreSQL returned no result");
  ExecStatusType st = PQresultStatus(res);
  if (st == PGRES_PIPELINE_ABORTED) {
    return Error(Errc::conflict, "PostgreSQL skipped the statement: an earlier one in its pipeline failed");
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = primary ? primary : PQresultErrorMessage(res);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) {
    msg += " (";
    msg += detail;
    msg += ")";
  }
  if (!state) {
    // libpq made this error itself: the connection broke under it.
    Error e(Errc::unavailable, "PostgreSQL: " + (msg.empty() ? std::string("connection lost") : msg));
    e.public_message = pg_public_message(e.code);
    return e;
  }
  Error e(pg_errc_for_sqlstate(state), "PostgreSQL: " + msg, state);
  e.public_message = pg_public_message(e.code);
  return e;
}

std::string pg_public_message(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "the request holds a value the database does not accept";
    case Errc::already_exists: return "that already exists";
    case Errc::conflict: return "the request conflicts with a concurrent change; retry it";
    case Errc::timeout: return "the database did not answer in time";
    case Errc::unavailable: return "the database is unavailable; retry later";
    case Errc::limit_exceeded: return "the database is over one of its limits; retry later";
    default: return "the database could not carry out the request";
  }
}

}  // namespace sluice
