// The bodies of newsflow's libFuzzer targets, one function per parser of outside data.
//
// Each takes arbitrary bytes and must return 0 without crashing, leaking, hanging or tripping
// a sanitizer; a broken invariant (e.g. an output record that is not valid JSON) aborts, which
// libFuzzer reports as a finding. They are kept apart from the LLVMFuzzerTestOneInput entry
// points so that tests/faults/fuzz_regression_test.cc can replay saved findings and seed
// corpora through the same code in ordinary (non-fuzzer) builds. Not thread-safe: each keeps
// static state (parsers, a prepared pipeline) reused across calls, as a daemon worker does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace newsflow::fuzz {

// RecordParser::Parse (json and raw modes, repair or reject invalid UTF-8, small or default
// size limit; the first byte picks the options) and WriteOutputRecord on what parsed.
int FuzzRecord(const uint8_t* data, size_t size);

// Config loading: ParseConfig on YAML::Load of the text, LoadConfig with the lines as --set
// flags, as NEWSFLOW_* environment entries, or as a config file; then Pipeline::Build with
// every registered stage. The first byte picks the mode.
int FuzzConfig(const uint8_t* data, size_t size);

// RecordProcessor over every stage RegisterBuiltinStages() registers (in memory state): parse,
// run the chain, serialise. The first byte picks json or raw input.
int FuzzStages(const uint8_t* data, size_t size);

// Builds and prepares FuzzStages' chain now (the language models take seconds to load under
// the sanitizers). The fuzzer calls it from LLVMFuzzerInitialize, so that the load is not
// charged to the first input's -timeout; FuzzStages calls it itself when nobody has.
void PrepareStages();

// Aborts with a message when `condition` is false (a broken invariant, not bad input).
void Check(bool condition, const char* what);

}  // namespace newsflow::fuzz
