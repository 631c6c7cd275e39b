// How every statement shows a timestamp: RFC 3339 in UTC with milliseconds, the form the API
// returns (createdAt, expiresAt...). A macro because statement texts are string literals joined
// at compile time; it is the one copy of the format.
#pragma once

#define SLUICE_SQL_ISO_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
