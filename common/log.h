// Structured logging to stderr: one line per event, as JSON lines or as readable text.
//
// Fields are key/value pairs. Nothing here knows about secrets: callers redact before logging
// (see config::RedactedProperties). Thread-safe: each line is written with one fwrite under a
// mutex. The level and format are process-wide and set once at start-up.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace newsflow::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

void Configure(Level level, Format format);
bool ParseLevel(std::string_view name, Level* level);
bool Enabled(Level level);

using Field = std::pair<std::string_view, std::string>;
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

}  // namespace newsflow::log
