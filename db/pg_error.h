// How PostgreSQL errors become sluice::Error: the SQLSTATE picks the Errc (unique violation ->
// already_exists, serialization failure -> conflict, ...), the server's message (with its DETAIL,
// which quotes row values) is kept in Error.message for the log, the SQLSTATE in Error.detail,
// and Error.public_message says what a client may be told instead.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

struct pg_result;

namespace sluice {

// The Errc for a five-character SQLSTATE (class-wide defaults where no code matches).
Errc pg_errc_for_sqlstate(std::string_view sqlstate);

// Our own words for a database failure of this kind: never the server's text.
std::string pg_public_message(Errc code);

// The Error a failed PGresult stands for (FATAL_ERROR, BAD_RESPONSE, PIPELINE_ABORTED...).
Error pg_result_error(const pg_result* res);

}  // namespace sluice
