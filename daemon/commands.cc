#include "daemon/commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/log.h"
#include "daemon/file_mode.h"
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
  std::string error;
};

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
  return 0;
}

}  // namespace

int RunCommand(const std::string& command, const std::vector<std::string>& args,
               const char* usage) {
  Args a = ParseArgs(args);
  if (!a.error.empty()) {
    std::cerr << "newsflowd: " << a.error << "\n\n" << usage;
    return 2;
  }
  if (command == "check-config") return CheckConfig(a);
  if (command == "process") return Process(a);
  if (command == "version") {
    std::cout << "newsflowd " << NewsflowVersion() << "\n";
    return 0;
  }
  std::cerr << "newsflowd: unknown command \"" << command << "\"\n\n" << usage;
  return 2;
}

}  // namespace newsflow
