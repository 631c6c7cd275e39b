// PgStatement: a named SQL statement that a PgPool prepares once per connection (lazily, in the
// pipeline, on its first use there) and then executes by name. Define them as constants with
// static strings; names must be unique within the process.
#pragma once

namespace sluice {

struct PgStatement {
  const char* name;       // server-side prepared statement name
  const char* sql;        // with $1..$n placeholders
  int param_count;        // checked against the parameters of every call
};

}  // namespace sluice
