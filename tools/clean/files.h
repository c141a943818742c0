// File readers shared by the clean stage's evaluation and benchmark commands. Pure functions of
// the filesystem; an unreadable file gives an empty string (the callers report missing data).
#pragma once

#include <filesystem>
#include <string>

namespace newsflow::clean_tools {

// The whole file as bytes.
std::string ReadAll(const std::filesystem::path& p);

// The decompressed contents of a gzip file.
std::string ReadGzip(const std::filesystem::path& p);

}  // namespace newsflow::clean_tools
