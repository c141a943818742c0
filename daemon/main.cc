// newsflowd: the command-line entry point. Parses the command and its flags and hands over to
// the daemon (run), file mode (process), config check, replay or the embedded dev broker.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/log.h"
#include "daemon/commands.h"

namespace {

constexpr const char* kUsage = R"(newsflowd: streaming ingest daemon for news articles

usage:
  newsflowd [run] [--config FILE] [--set KEY=VALUE]... [--state-dir DIR]
      consume the input topic, run the stage chain, publish enriched records
  newsflowd process [--config FILE] [--set KEY=VALUE]... [--state-dir DIR]
                    [--dead-letter FILE] [-o OUTPUT.jsonl] [INPUT.jsonl|-]
      run the same stage chain over JSON lines, no Kafka (fresh temporary state unless
      --state-dir is given)
  newsflowd replay [--config FILE] [--name NAME] [--source-topic TOPIC] [--output-topic TOPIC]
                   [--from-time RFC3339 | --from-offsets P:O,... | --from-beginning]
                   [--to-time RFC3339 | --to-offsets P:O,...] [--rate N] [--mb-per-s X]
                   [--fresh-state DIR] [--reset] [--progress-interval S]
      reprocess a range of the input topic (or re-drive a dead-letter topic) under its own
      consumer group, then exit 0 with a summary; a restarted replay resumes
  newsflowd check-config [--set KEY=VALUE]... FILE
      validate a config file, printing every error with its path
  newsflowd demo [--config FILE] [--input FILE.jsonl]... [--seeds DIR] [-o OUTPUT.jsonl]
      quickstart: embedded Kafka, sample articles through the daemon, enriched records shown
  newsflowd dev-kafka [--brokers N]
      start an in-process mock Kafka cluster, print its bootstrap address, run until stopped
  newsflowd version

Environment: NEWSFLOW_<SECTION>__<KEY>=value overrides a config key
(e.g. NEWSFLOW_KAFKA__BROKERS=host:9092); --set overrides both.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "run";
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  return newsflow::RunCommand(command, args, kUsage);
}
