// Browsing a caller's files: GET /v1/files (filters, sort, keyset cursor), GET /v1/folders
// (sub-folders with their counts and bytes) and GET /v1/stats.
#pragma once

#include "http/json_writer.h"
#include "http/router.h"
#include "storage/service/files/file_stats.h"
#include "storage/service/service_context.h"

namespace sluice {

void add_file_list_routes(Router& router, ServiceContexts* contexts);

// The members "total", "byCategory", "byFolder" (and "uploadsPerDay" when there are days) of a
// stats object, into an object `w` has open: shared by /v1/stats and /v1/admin/stats.
void write_file_stats_fields(http::JsonWriter& w, const service::FileStats& s);

}  // namespace sluice
