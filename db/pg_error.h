// How PostgreSQL errors become sluice::Error: the SQLSTATE picks the Errc (unique violation ->
// already_exists, serialization failure -> conflict, ...), the server's message is kept in
// Error.message and the SQLSTATE in Error.detail.
#pragma once

#include <string_view>

#include "core/result.h"

struct pg_result;

namespace sluice {

// The Errc for a five-character SQLSTATE (class-wide defaults where no code matches).
Errc pg_errc_for_sqlstate(std::string_view sqlstate);

// The Error a failed PGresult stands for (FATAL_ERROR, BAD_RESPONSE, PIPELINE_ABORTED...).
Error pg_result_error(const pg_result* res);

}  // namespace sluice
