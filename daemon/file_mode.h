// `newsflowd process`: the stage chain over JSON lines, no Kafka.
//
// Reads one input record per line (format as configured), writes one output record per line,
// exactly as the daemon would publish it. A bad line is reported on stderr with its line number
// and, when a dead-letter file is given, written there as a JSON object
// {"line", "stage", "reason", "detail", "value"}; the rest go on.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "daemon/setup.h"

namespace newsflow {

struct FileModeCounts {
  uint64_t in = 0, out = 0, dead_lettered = 0, dropped = 0;
  bool fatal = false;  // stopped early on an environment failure
};

FileModeCounts RunFileMode(Runtime& rt, std::istream& in, const std::string& input_name,
                           std::ostream& out, std::ostream* dead_letters);

}  // namespace newsflow
