// dedup-bench: throughput and memory of the dedup stage (signature + lookup + verify + write).
//
//   dedup-bench [--preload N] [--measure M] [--text-bytes B] [--copies SHARE]
//               [--state-dir DIR | --memory] [--options YAML]
//   dedup-bench --index-only N [--index-keys K] [--check-samples C]
//   dedup-bench --signature-only M [--text-bytes B]
// --id-prefix P (default "bench-") names the articles: a second run over a kept --state-dir
// with another prefix measures new articles against the reopened index; with the same prefix,
// the reprocessing of decided ids. --indexed N says that the kept state already holds the N
// texts of an earlier `--preload N` run: the preload is skipped and the measured texts (new
// ones and edited copies) are drawn as if it had just run, so profiling the measured part at 1
// million costs the index rebuild instead of the preload (make that state with --measure 1:
// texts measured by the earlier run are in it, and would come back as exact copies, one read
// each). --block-cache-mb sets the RocksDB
// block cache (default: state::RocksOptions'), which verification reads depend on.
//
// Indexes N synthetic articles (~B bytes of Zipf-distributed words each, event times spread
// over 20 days so none expires), then times M more on one thread, of which SHARE are edited
// copies of indexed ones (the verification path). State is RocksDB (state::OpenRocksStore) in
// DIR (default: a fresh directory under /tmp, removed at the end), or memory. Prints articles/s
// and the process RSS after the preload and at the end.
// --signature-only M times only the per-article signature (normalise, hash, shingle, keys,
// samples) over M texts: the part of the stage that runs in parallel outside its mutex.
// --index-only fills just the in-memory LshIndex with N articles of K random keys and C check
// samples each (what the stage holds per article: the RocksDB side is bounded by its block
// cache and memtables) and prints RSS every million: the memory figure at 10 million without
// writing 10 GB.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "stages/dedup/dedup_stage.h"
#include "stages/dedup/lsh_index.h"
#include "stages/dedup/shingles.h"
#include "state/rocks_store.h"
#include "state/store.h"

namespace fs = std::filesystem;
using namespace newsflow;

namespace {

constexpr int64_t kT0 = 1706745600000;  // 2024-02-01
constexpr int64_t kSpreadMs = 20LL * 24 * 3600 * 1000;

// CPU time of this thread: the per-core figure, fair on a machine shared with other jobs.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// Deterministic text n: words drawn from a Zipf(1.0) vocabulary of 50,000 pseudo-words.
class TextGen {
 public:
  TextGen() {
    static const char* kSyl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "po",
                                 "da", "fe", "gu", "hi", "jo", "be", "ci", "ma", "nu", "ro"};
    std::mt19937_64 rng(7);
    for (int i = 0; i < 50000; ++i) {
      std::string w;
      const int syl = 1 + static_cast<int>(rng() % 4);
      for (int s = 0; s < syl; ++s) w += kSyl[rng() % 20];
      words_.push_back(w);
    }
    double sum = 0;
    for (int i = 1; i <= 50000; ++i) sum += 1.0 / i;
    // A 2^20-entry inverse-CDF table: one lookup per word.
    double acc = 0;
    size_t w = 0;
    table_.resize(1 << 20);
    for (size_t i = 0; i < table_.size(); ++i) {
      const double u = (static_cast<double>(i) + 0.5) / static_cast<double>(table_.size());
      while (w + 1 < words_.size() && acc + 1.0 / static_cast<double>(w + 1) / sum < u) {
        acc += 1.0 / static_cast<double>(w + 1) / sum;
        ++w;
      }
      table_[i] = static_cast<uint32_t>(w);
    }
  }
  std::string Text(uint64_t n, size_t bytes) const {
    std::mt19937_64 rng(n * 0x9E3779B97F4A7C15ULL + 1);
    std::string t;
    t.reserve(bytes + 64);
    int in_para = 0;
    while (t.size() < bytes) {
      t += words_[table_[rng() & (table_.size() - 1)]];
      if (++in_para == 80) {
        t += ".\n\n";
        in_para = 0;
      } else {
        t += ' ';
      }
    }
    return t;
  }

 private:
  std::vector<std::string> words_;
  std::vector<uint32_t> table_;
};

// An edited copy: one paragraph dropped, a few words changed, a new first line.
std::string Edit(std::string text, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const size_t p = text.find("\n\n", rng() % (text.size() / 2));
  if (p != std::string::npos) {
    const size_t q = text.find("\n\n", p + 2);
    if (q != std::string::npos) text.erase(p, q - p);
  }
  for (int i = 0; i < 8; ++i) text[rng() % text.size()] = 'x';
  return "Updated: breaking news headline\n\n" + text;
}

// Counts the stage's store reads and writes (reads are the verification of candidates).
class CountingStore final : public state::Store {
 public:
  explicit CountingStore(std::unique_ptr<state::Store> inner) : inner_(std::move(inner)) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    ++gets;
    return inner_->Get(key);
  }
  Status Write(const state::WriteBatch& batch) override {
    ++writes;
    return inner_->Write(batch);
  }
  Status Scan(std::string_view begin, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_->Scan(begin, end, fn);
  }
  state::StoreStats Stats() override { return inner_->Stats(); }
  long gets = 0, writes = 0;

 private:
  std::unique_ptr<state::Store> inner_;
};

int SignatureOnly(long m, size_t text_bytes) {
  TextGen gen;
  std::vector<std::string> texts;
  for (long i = 0; i < std::min(m, 2000L); ++i)
    texts.push_back(gen.Text(static_cast<uint64_t>(i), text_bytes));
  dedup::SignatureOptions options;
  options.sample_rate = 4;  // the stage's defaults
  options.max_tokens = 200000;
  dedup::SignatureBuilder builder(options);
  dedup::Signature sig;
  uint64_t check = 0;
  const double cpu0 = ThreadCpuSeconds();
  for (long i = 0; i < m; ++i) {
    builder.Build(texts[static_cast<size_t>(i) % texts.size()], &sig);
    check += sig.keys.size() + sig.samples.size();
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  std::printf(
      "signature-only: %ld texts of %zu bytes: %.2f us/article (thread CPU time), "
      "%.0f articles/s per core (%.1f keys + samples per article)\n",
      m, text_bytes, cpu * 1e6 / static_cast<double>(m), static_cast<double>(m) / cpu,
      static_cast<double>(check) / static_cast<double>(m));
  return 0;
}

int IndexOnly(long n, int keys, int check_samples) {
  const double rss0 = RssMiB();
  dedup::LshIndex index(64, static_cast<uint32_t>(check_samples));
  std::mt19937_64 rng(5);
  std::vector<uint32_t> k(static_cast<size_t>(keys));
  std::vector<uint32_t> check(static_cast<size_t>(check_samples));
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    // Keys are the low halves of the smallest shingle hashes: uniform 32-bit values.
    for (auto& v : k) v = static_cast<uint32_t>(rng());
    std::sort(k.begin(), k.end());
    for (auto& v : check) v = static_cast<uint32_t>(rng());
    index.Insert(rng(), static_cast<uint32_t>(i / 500000), k, check);
    if ((i + 1) % 1000000 == 0) {
      std::printf("  %ld articles, %zu keys: RSS %.0f MiB (index %.0f MiB), %.1f s\n", i + 1,
                  index.live_entries(), RssMiB(), index.MemoryBytes() / 1048576.0,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
    }
  }
  std::printf(
      "index-only: %ld articles x %d keys, %d check samples: RSS %.0f MiB (%.0f MiB at start), "
      "%.1f bytes/article\n",
      n, keys, check_samples, RssMiB(), rss0,
      (RssMiB() - rss0) * 1048576.0 / static_cast<double>(n));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  long preload = 1000000, measure = 20000;
  size_t text_bytes = 5000;
  double copies = 0.1;
  std::string state_dir, options = "{}";
  bool memory = false;
  long index_only = 0;
  std::string id_prefix = "bench-";
  int index_keys = 16;
  int check_samples = 24;  // the stage's default
  long indexed = 0;
  long signature_only = 0;
  long block_cache_mb = 0;  // 0: state::RocksOptions' default
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--preload") {
      preload = std::stol(next());
    } else if (a == "--measure") {
      measure = std::stol(next());
    } else if (a == "--text-bytes") {
      text_bytes = std::stoul(next());
    } else if (a == "--copies") {
      copies = std::stod(next());
    } else if (a == "--state-dir") {
      state_dir = next();
    } else if (a == "--memory") {
      memory = true;
    } else if (a == "--options") {
      options = next();
    } else if (a == "--id-prefix") {
      id_prefix = next();
    } else if (a == "--index-only") {
      index_only = std::stol(next());
    } else if (a == "--block-cache-mb") {
      block_cache_mb = std::stol(next());
    } else if (a == "--signature-only") {
      signature_only = std::stol(next());
    } else if (a == "--indexed") {
      indexed = std::stol(next());
    } else if (a == "--index-keys") {
      index_keys = std::stoi(next());
    } else if (a == "--check-samples") {
      check_samples = std::stoi(next());
    } else {
      std::cerr << "usage: dedup-bench [--preload N] [--measure M] [--text-bytes B] "
                   "[--copies SHARE] [--state-dir DIR | --memory] [--options YAML]\n"
                   "                   [--id-prefix P] [--indexed N] [--block-cache-mb MB]\n"
                   "       dedup-bench --index-only N [--index-keys K] [--check-samples C]\n"
                   "       dedup-bench --signature-only M [--text-bytes B]\n";
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they are printed
  if (index_only > 0) return IndexOnly(index_only, index_keys, check_samples);
  if (signature_only > 0) return SignatureOnly(signature_only, text_bytes);
  if (indexed > 0 && (state_dir.empty() || preload > 0)) {
    std::cerr << "--indexed needs --state-dir (a kept state) and --preload 0\n";
    return 2;
  }
  bool remove_dir = false;
  if (!memory && state_dir.empty()) {
    state_dir = (fs::temp_directory_path() / ("dedup-bench-" + std::to_string(getpid()))).string();
    remove_dir = true;
  }
  std::unique_ptr<state::Store> store;
  if (memory) {
    store = state::MakeMemoryStore();
  } else {
    state::RocksOptions ro;
    ro.dir = state_dir;
    if (block_cache_mb > 0) ro.block_cache_mb = block_cache_mb;
    auto s = state::OpenRocksStore(ro);
    if (!s.ok()) {
      std::cerr << s.error().message << "\n";
      return 1;
    }
    store = std::move(s).value();
  }
  auto counting = std::make_unique<CountingStore>(std::move(store));
  CountingStore* counts = counting.get();
  store = std::move(counting);
  prometheus::Registry registry;
  auto factory = MakeDedupStageFactory();
  config::Errors errors;
  config::Section section(YAML::Load(options), "stages.dedup", &errors);
  auto config = factory->Parse(section);
  if (!errors.empty()) {
    std::cerr << errors.Joined() << "\n";
    return 2;
  }
  StageEnvironment env{store.get(), &registry, ""};
  const auto prep0 = std::chrono::steady_clock::now();
  Status st = config->Prepare(env);
  if (!st.ok()) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  const double prep_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - prep0).count();
  auto worker = config->CreateWorker();
  StageContext ctx;
  TextGen gen;
  Article a;
  const long base = preload + indexed;  // texts 0..base-1 are in the index
  const long total = base + measure;
  auto process = [&](long n, std::string text) {
    a.Clear();
    a.id = id_prefix + std::to_string(n);
    a.input_text = std::move(text);
    a.published_at_ms = kT0 + kSpreadMs * n / std::max(1L, total);
    return worker->Process(a, ctx).verdict == Verdict::kContinue;
  };
  std::printf("dedup-bench: %s state%s, %zu-byte texts, options %s\n",
              memory ? "memory" : "RocksDB", memory ? "" : (" in " + state_dir).c_str(), text_bytes,
              options.c_str());
  std::printf("prepare (index rebuild from state): %.2f s\n", prep_s);
  const auto t0 = std::chrono::steady_clock::now();
  for (long n = 0; n < preload; ++n) {
    if (!process(n, gen.Text(n, text_bytes))) {
      std::cerr << "preload failed at " << n << "\n";
      return 1;
    }
    if (n > 0 && n % 1000000 == 0) {
      std::printf("  preloaded %ld: %.0f s, RSS %.0f MiB\n", n,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                  RssMiB());
      std::fflush(stdout);
    }
  }
  const double preload_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "preloaded %ld articles in %.1f s (%.0f articles/s incl. text generation); "
      "RSS %.0f MiB\n",
      preload, preload_s, preload / std::max(preload_s, 1e-9), RssMiB());
  // The measured texts are made before the clock starts.
  std::vector<std::string> texts;
  std::mt19937_64 rng(99);
  long copy_count = 0;
  for (long i = 0; i < measure; ++i) {
    const long n = base + i;
    if (base > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < copies) {
      texts.push_back(Edit(gen.Text(rng() % base, text_bytes), n));
      ++copy_count;
    } else {
      texts.push_back(gen.Text(n, text_bytes));
    }
  }
  long dup = 0;
  const long gets0 = counts->gets;
  const auto m0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (long i = 0; i < measure; ++i) {
    if (!process(base + i, std::move(texts[i]))) {
      std::cerr << "measure failed at " << i << "\n";
      return 1;
    }
    dup += a.dedup && a.dedup->status != DedupStatus::kUnique ? 1 : 0;
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const double ms = std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
  std::printf(
      "measured %ld articles (%ld edited copies, %ld found as duplicates) with %ld "
      "indexed:\n  %.0f articles/s per core (thread CPU time, %.1f us/article); "
      "%.0f articles/s wall clock on one thread (machine load shared)\n",
      measure, copy_count, dup, base, measure / cpu, cpu * 1e6 / measure, measure / ms);
  std::printf(
      "  %.2f store reads per article (candidate verification)\n",
      static_cast<double>(counts->gets - gets0) / static_cast<double>(std::max(1L, measure)));
  const std::string metrics = prometheus::TextSerializer().Serialize(registry.Collect());
  for (const char* name : {"newsflow_dedup_index_entries ", "newsflow_dedup_index_keys ",
                           "newsflow_dedup_index_memory_bytes "}) {
    const size_t p = metrics.find(std::string("\n") + name);
    if (p != std::string::npos) {
      std::printf("%s\n", metrics.substr(p + 1, metrics.find('\n', p + 1) - p - 1).c_str());
    }
  }
  const auto stats = store->Stats();
  std::printf("RSS at end: %.0f MiB; state: %.0f MiB live data, ~%lu keys\n", RssMiB(),
              stats.live_data_bytes / 1048576.0, static_cast<unsigned long>(stats.estimated_keys));
  worker.reset();
  config.reset();
  store.reset();
  if (remove_dir) fs::remove_all(state_dir);
  return 0;
}
