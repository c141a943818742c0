// Where newsflow finds its data files (models, gazetteers) when a config does not name them.
//
// FindDataFile("language-ngrams.bin") returns the first existing file among:
//   1. $NEWSFLOW_MODELS_DIR/<name>
//   2. the build tree's models directory (<build>/models, where build-time models are written)
//   3. the source tree's models directory (<repo>/models, committed models)
//   4. /usr/share/newsflow/models/<name> (the container image)
// or "" when none exists. The build and source directories are compiled in, so a binary run
// from its build tree needs no configuration. Pure function of the filesystem; thread-safe.
#pragma once

#include <string>

namespace newsflow {

std::string FindDataFile(const std::string& name);

// The directories searched, in order (for error messages).
std::string DataSearchPath();

}  // namespace newsflow
