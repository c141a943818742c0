// Wall-clock helpers and RFC 3339 parsing/formatting. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace newsflow {

// Milliseconds since the Unix epoch, UTC.
int64_t NowMillis();

// Parses an RFC 3339 timestamp ("2024-01-26T08:15:00Z", "2024-01-26T17:15:00.123+09:00",
// also with a space instead of 'T' or a lowercase 't'/'z') into epoch milliseconds.
// A date alone ("2024-01-26") is midnight UTC. Returns nullopt for anything else.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// "2024-01-26T08:15:00.123Z".
std::string FormatRfc3339Millis(int64_t epoch_ms);

}  // namespace newsflow
