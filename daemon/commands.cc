#include "daemon/commands.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/log.h"
#include "common/time.h"
#include "daemon/replay.h"
#include "daemon/demo.h"
#include "daemon/embedded_kafka.h"
#include "daemon/file_mode.h"
#include "daemon/kafka_daemon.h"
#include "daemon/setup.h"
#include "stages/builtin.h"
#include "stages/core/processor.h"

namespace newsflow {
namespace {

struct Args {
  CommonOptions common;
  std::vector<std::string> positional;
  std::string output;       // -o
  std::string dead_letter;  // --dead-letter
  std::vector<std::string> inputs;  // --input (demo)
  std::string seeds;        // --seeds (demo)
  int brokers = 1;          // --brokers (dev-kafka)
  ReplayOptions replay;     // replay flags
  std::string fresh_state;  // --fresh-state DIR (replay)
  std::string error;
};

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

Args ParseArgs(const std::vector<std::string>& args) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= args.size()) {
        out.error = std::string(name) + " needs a value";
        return {};
      }
      return args[++i];
    };
    if (a == "--config" || a == "-c") {
      out.common.config_path = value("--config");
    } else if (a == "--set") {
      out.common.sets.push_back(value("--set"));
    } else if (a == "--state-dir") {
      out.common.state_dir = value("--state-dir");
    } else if (a == "-o" || a == "--output") {
      out.output = value("-o");
    } else if (a == "--dead-letter") {
      out.dead_letter = value("--dead-letter");
    } else if (a == "--input") {
      out.inputs.push_back(value("--input"));
    } else if (a == "--seeds") {
      out.seeds = value("--seeds");
    } else if (a == "--name") {
      out.replay.name = value("--name");
    } else if (a == "--source-topic") {
      out.replay.source_topic = value("--source-topic");
    } else if (a == "--output-topic") {
      out.replay.output_topic = value("--output-topic");
    } else if (a == "--from-time" || a == "--to-time") {
      const std::string v = value(a.c_str());
      auto ms = ParseRfc3339(v);
      if (!ms) out.error = a + ": \"" + v + "\" is not an RFC 3339 timestamp";
      (a == "--from-time" ? out.replay.from_time_ms : out.replay.to_time_ms) = ms;
    } else if (a == "--from-offsets" || a == "--to-offsets") {
      const std::string v = value(a.c_str());
      if (!ParsePartitionOffsets(
              v, a == "--from-offsets" ? &out.replay.from_offsets : &out.replay.to_offsets))
        out.error = a + " takes PARTITION:OFFSET[,PARTITION:OFFSET...]";
    } else if (a == "--from-beginning") {
      out.replay.from_offsets.clear();
      out.replay.from_time_ms.reset();
    } else if (a == "--rate") {
      out.replay.max_records_per_s = std::atof(value("--rate").c_str());
      if (out.replay.max_records_per_s <= 0) out.error = "--rate takes a positive number";
    } else if (a == "--mb-per-s") {
      out.replay.max_bytes_per_s = std::atof(value("--mb-per-s").c_str()) * 1e6;
      if (out.replay.max_bytes_per_s <= 0) out.error = "--mb-per-s takes a positive number";
    } else if (a == "--progress-interval") {
      out.replay.progress_interval_s = std::atoi(value("--progress-interval").c_str());
      if (out.replay.progress_interval_s < 1) out.error = "--progress-interval takes seconds >= 1";
    } else if (a == "--reset") {
      out.replay.reset = true;
    } else if (a == "--fresh-state") {
      out.fresh_state = value("--fresh-state");
    } else if (a == "--brokers") {
      const std::string v = value("--brokers");
      out.brokers = std::atoi(v.c_str());
      if (out.brokers < 1 || out.brokers > 9) out.error = "--brokers takes 1 to 9";
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      out.error = "unknown flag " + a;
    } else {
      out.positional.push_back(a);
    }
    if (!out.error.empty()) break;
  }
  return out;
}

int CheckConfig(const Args& a) {
  if (a.positional.size() != 1) {
    std::cerr << "check-config takes one FILE\n";
    return 2;
  }
  CommonOptions opts = a.common;
  opts.config_path = a.positional[0];
  StageRegistry registry;
  RegisterBuiltinStages(&registry);
  config::Errors errors;
  LoadAndValidate(opts, registry, &errors);
  if (!errors.empty()) {
    std::cerr << opts.config_path << ": " << errors.list().size() << " error(s)\n"
              << errors.Joined();
    return 1;
  }
  std::cout << opts.config_path << ": ok\n";
  return 0;
}

int Process(const Args& a) {
  if (a.positional.size() > 1) {
    std::cerr << "process takes at most one INPUT file\n";
    return 2;
  }
  // Without --state-dir, state is fresh and temporary: nothing is kept between runs.
  const StateMode mode = a.common.state_dir.empty() ? StateMode::kMemory : StateMode::kConfigured;
  auto rt = BuildRuntime(a.common, mode);
  if (!rt.ok()) {
    std::cerr << "newsflowd process: " << rt.error().message << "\n";
    return 1;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  std::string name = "stdin";
  if (!a.positional.empty() && a.positional[0] != "-") {
    file.open(a.positional[0]);
    if (!file) {
      std::cerr << "newsflowd process: cannot read " << a.positional[0] << "\n";
      return 1;
    }
    in = &file;
    name = a.positional[0];
  }
  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (!a.output.empty() && a.output != "-") {
    out_file.open(a.output);
    if (!out_file) {
      std::cerr << "newsflowd process: cannot write " << a.output << "\n";
      return 1;
    }
    out = &out_file;
  }
  std::ofstream dl_file;
  if (!a.dead_letter.empty()) {
    dl_file.open(a.dead_letter);
    if (!dl_file) {
      std::cerr << "newsflowd process: cannot write " << a.dead_letter << "\n";
      return 1;
    }
  }
  FileModeCounts c = RunFileMode(**rt, *in, name, *out, dl_file.is_open() ? &dl_file : nullptr);
  log::Info("process finished", {{"in", std::to_string(c.in)},
                                 {"out", std::to_string(c.out)},
                                 {"dead_lettered", std::to_string(c.dead_lettered)},
                                 {"dropped", std::to_string(c.dropped)}});
  if (!*out) {
    std::cerr << "newsflowd process: error writing output\n";
    return 1;
  }
  if (c.fatal) return 1;
  return 0;
}

int Run(const Args& a) {
  if (!a.positional.empty()) {
    std::cerr << "newsflowd run takes no positional arguments\n";
    return 2;
  }
  InstallSignalHandlers();
  auto rt = BuildRuntime(a.common, StateMode::kConfigured);
  if (!rt.ok()) {
    log::Error("cannot start", {{"error", rt.error().message}});
    return 1;
  }
  const auto& cfg = (*rt)->config;
  log::Info("kafka client properties",
            {{"brokers", cfg.kafka.embedded ? "embedded" : cfg.kafka.brokers}, [&] {
               std::string props;
               for (const auto& [k, v] : config::RedactedProperties(cfg.kafka.properties))
                 props.append(props.empty() ? "" : ",").append(k + "=" + v);
               return log::Field{"properties", props};
             }()});
  DaemonOptions opts;
  opts.stop_flag = &g_stop;
  std::unique_ptr<EmbeddedKafka> embedded;
  if (cfg.kafka.embedded) {
    auto ek = EmbeddedKafka::Start(1);
    if (!ek.ok()) {
      log::Error("cannot start embedded kafka", {{"error", ek.error().message}});
      return 1;
    }
    embedded = std::move(ek).value();
    for (const auto& t :
         {cfg.kafka.input_topic, cfg.kafka.output_topic, cfg.kafka.dead_letter_topic}) {
      Status s = embedded->CreateTopic(t, 4);
      if (!s.ok()) log::Warn("embedded kafka", {{"error", s.error().message}});
    }
    opts.bootstrap_override = embedded->bootstrap();
    log::Info("embedded kafka (mock cluster) started", {{"bootstrap", embedded->bootstrap()}});
  }
  KafkaDaemon daemon(**rt, opts);
  return daemon.Run();
}

int Replay(Args a) {
  if (!a.positional.empty()) {
    std::cerr << "newsflowd replay takes no positional arguments\n";
    return 2;
  }
  InstallSignalHandlers();
  if (!a.fresh_state.empty()) {
    // A separate RocksDB path rebuilt from scratch by this replay; --reset starts it over.
    if (a.replay.reset) {
      std::error_code ec;
      std::filesystem::remove_all(a.fresh_state, ec);
    }
    a.common.state_dir = a.fresh_state;
  }
  auto rt = BuildRuntime(a.common, StateMode::kConfigured);
  if (!rt.ok()) {
    std::string msg = rt.error().message;
    if (msg.find("lock") != std::string::npos) {
      msg += "\n(another newsflowd holds this state dir; a replay beside the live daemon needs "
             "--fresh-state DIR, or stop the daemon to replay against its state)";
    }
    log::Error("cannot start replay", {{"error", msg}});
    return 1;
  }
  if ((*rt)->config.kafka.embedded) {
    log::Error("replay needs a real broker (kafka.embedded is true)");
    return 2;
  }
  DaemonOptions opts;
  opts.stop_flag = &g_stop;
  opts.replay = a.replay;
  KafkaDaemon daemon(**rt, opts);
  return daemon.Run();
}

int DevKafka(const Args& a) {
  InstallSignalHandlers();
  auto ek = EmbeddedKafka::Start(a.brokers);
  if (!ek.ok()) {
    std::cerr << "newsflowd dev-kafka: " << ek.error().message << "\n";
    return 1;
  }
  std::cout << "KAFKA_BOOTSTRAP=" << (*ek)->bootstrap() << std::endl;
  std::cerr << "mock Kafka cluster running (topics are created on first use); Ctrl-C to stop\n";
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}

int Demo(const Args& a) {
  DemoOptions d;
  d.common = a.common;
  d.inputs = a.inputs;
  d.seeds_dir = a.seeds;
  d.output = a.output;
  return RunDemo(d);
}

}  // namespace

int RunCommand(const std::string& command, const std::vector<std::string>& args,
               const char* usage) {
  Args a = ParseArgs(args);
  if (!a.error.empty()) {
    std::cerr << "newsflowd: " << a.error << "\n\n" << usage;
    return 2;
  }
  if (command == "run") return Run(a);
  if (command == "check-config") return CheckConfig(a);
  if (command == "dev-kafka") return DevKafka(a);
  if (command == "replay") return Replay(a);
  if (command == "demo") return Demo(a);
  if (command == "process") return Process(a);
  if (command == "version") {
    std::cout << "newsflowd " << NewsflowVersion() << "\n";
    return 0;
  }
  std::cerr << "newsflowd: unknown command \"" << command << "\"\n\n" << usage;
  return 2;
}

}  // namespace newsflow
