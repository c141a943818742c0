// `newsflowd demo`: the quickstart. Starts the embedded mock Kafka cluster, produces sample
// articles to the input topic, runs the real daemon path (consumer, stage chain, producer) until
// every record is accounted for, then prints the enriched records read back from the output
// topic, and the dead letters with their reasons.
#pragma once

#include <string>
#include <vector>

#include "daemon/setup.h"

namespace newsflow {

struct DemoOptions {
  CommonOptions common;
  std::vector<std::string> inputs;  // JSON-lines files of input records
  std::string seeds_dir;            // a folder of plain-text articles (one per .txt file)
  std::string output;               // where to write the enriched records (JSON lines); "" none
};

int RunDemo(const DemoOptions& options);

}  // namespace newsflow
