// The stage contract: how a processing step plugs into the chain.
//
//   StageFactory (one per stage type, stateless, registered in registry.cc)
//     └─ Parse(section)  -> StageConfig   control plane: validates options, collects all errors
//          └─ Prepare(env)                control plane: loads models, opens state, metrics
//               └─ CreateWorker()  -> Stage   one per worker thread
//                    └─ Process(article, ctx) data plane: noexcept, no exceptions, no locks
//                                              unless the stage documents why (shared state)
//
// A Stage reads the fields earlier stages filled and writes only its own. It returns an
// Outcome: kContinue, kDrop (no output record; the offset still commits), kFail (bad input:
// dead-letter the record) or kFatal (the environment failed, e.g. the state store: the record is
// not the problem, so it is neither output nor dead-lettered; the daemon stops without
// committing it and a restart retries it). `reason` must be one of the factory's declared Reasons() (static strings; a
// bounded metric label set). StageConfig is immutable after Prepare and shared by all workers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/section.h"
#include "stages/core/article.h"

namespace prometheus {
class Registry;
}

namespace newsflow {

namespace state {
class Store;
}

enum class Verdict : uint8_t { kContinue, kDrop, kFail, kFatal };

struct Outcome {
  Verdict verdict = Verdict::kContinue;
  std::string_view reason;  // static storage; from the stage's declared reasons
  static Outcome Continue() { return {Verdict::kContinue, {}}; }
  static Outcome Drop(std::string_view reason) { return {Verdict::kDrop, reason}; }
  static Outcome Fail(std::string_view reason) { return {Verdict::kFail, reason}; }
  static Outcome Fatal(std::string_view reason) { return {Verdict::kFatal, reason}; }
};

// Per-worker context handed to Process(): scratch that outlives one record.
struct StageContext {
  int worker = 0;
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual Outcome Process(Article& article, StageContext& ctx) noexcept = 0;
};

// What Prepare() may use. Pointers outlive every StageConfig and Stage.
struct StageEnvironment {
  state::Store* store = nullptr;                 // shared state (RocksDB or memory)
  prometheus::Registry* registry = nullptr;      // metrics; may be null in tools
  std::string shared_dir;                        // ../shared data (eval tools); may be empty
};

class StageConfig {
 public:
  virtual ~StageConfig() = default;
  // Loads models and opens what the stage needs. Called once, before any CreateWorker().
  virtual Status Prepare(const StageEnvironment& env) = 0;
  virtual std::unique_ptr<Stage> CreateWorker() const = 0;
  // Version of the stage's logic and model, named in each output record's `pipeline.stages`.
  virtual std::string Version() const = 0;
};

class StageFactory {
 public:
  virtual ~StageFactory() = default;
  virtual std::string_view Name() const = 0;
  // Every reason a Drop or Fail outcome of this stage may carry.
  virtual std::vector<std::string_view> Reasons() const = 0;
  // Parses and validates this stage's options (section `stages.<name>`). Records every error
  // in the section; returns a config even when there were errors (the caller checks them).
  virtual std::unique_ptr<StageConfig> Parse(config::Section& section) const = 0;
};

}  // namespace newsflow
