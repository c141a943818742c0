// The newsflowd commands, callable from main() and from tests.
#pragma once

#include <string>
#include <vector>

namespace newsflow {

// Runs `command` with its arguments; returns the process exit code.
int RunCommand(const std::string& command, const std::vector<std::string>& args,
               const char* usage);

}  // namespace newsflow
