#include "storage/service/events/cloud_event.h"

#include "http/json_writer.h"

namespace sluice {

std::string cloud_event_json(const OutboxEvent& e, std::string_view source) {
  std::string out;
  out.reserve(256 + e.payload.size());
  http::JsonWriter w(out);
  w.begin_object();
  w.key("specversion").string("1.0");
  w.key("id").string(std::to_string(e.id));
  w.key("source").string(source);
  std::string type = "sluice." + e.kind;
  w.key("type").string(type);
  w.key("time").string(e.time);
  w.key("subject").string(e.aggregate_id);
  w.key("datacontenttype").string("application/json");
  // The payload is jsonb text from PostgreSQL: valid JSON by construction.
  w.key("data").raw(e.payload.empty() ? std::string_view("{}") : std::string_view(e.payload));
  w.end_object();
  return out;
}

std::string event_subject(std::string_view prefix, std::string_view kind) {
  std::string s;
  s.reserve(prefix.size() + 1 + kind.size());
  s.append(prefix).append(".").append(kind);
  return s;
}

}  // namespace sluice
