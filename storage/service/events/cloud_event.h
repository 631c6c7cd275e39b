// The wire form of an outbox row: a CloudEvents 1.0 JSON envelope (structured mode), and the
// NATS subject it is published on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// One sluice.events row as the relay reads it.
struct OutboxEvent {
  int64_t id = 0;
  std::string kind;          // "file.uploaded"...
  std::string aggregate_id;  // the file id (the CloudEvents subject)
  std::string payload;       // JSON object text
  std::string time;          // RFC 3339 UTC (created_at, i.e. the commit's transaction time)
  int attempts = 0;
};

// {"specversion":"1.0","id":"<id>","source":<source>,"type":"sluice.<kind>","time":...,
//  "subject":<aggregate>,"datacontenttype":"application/json","data":<payload>}.
// `id` is the outbox id, unique per source and monotone per file (commit order), so it is
// also the Nats-Msg-Id and a subscriber's ordering key.
std::string cloud_event_json(const OutboxEvent& e, std::string_view source);

// "<prefix>.<kind>", e.g. sluice.events.file.uploaded.
std::string event_subject(std::string_view prefix, std::string_view kind);

}  // namespace sluice
