#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "common/json_writer.h"
#include "common/time.h"

namespace newsflow::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<Format> g_format{Format::kText};
std::mutex g_mutex;
constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void Configure(Level level, Format format) {
  g_level = static_cast<int>(level);
  g_format = format;
}

bool ParseLevel(std::string_view name, Level* level) {
  for (int i = 0; i < 4; ++i) {
    if (kNames[i] == name) {
      *level = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  const std::string ts = FormatRfc3339Millis(NowMillis());
  if (g_format.load() == Format::kJson) {
    JsonWriter w(&line);
    w.BeginObject();
    w.Field("ts", ts);
    w.Field("level", kNames[static_cast<int>(level)]);
    w.Field("msg", message);
    for (const auto& [k, v] : fields) w.Field(k, v);
    w.EndObject();
  } else {
    line.append(ts).append(" ").append(kNames[static_cast<int>(level)]).append(" ");
    line.append(message);
    for (const auto& [k, v] : fields) line.append(" ").append(k).append("=").append(v);
  }
  line.push_back('\n');
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace newsflow::log
