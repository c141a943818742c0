#include "stages/language/ngram_model.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/hash.h"

// The n-gram keys are XXH3 like common/hash.h's Hash64 (same function, same seed, so the same
// values), compiled inline here: the stage hashes up to five n-grams per letter, and the call
// into the shared library cost more than the hash of so few bytes.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace newsflow::language {
namespace {

constexpr char kMagic[8] = {'N', 'F', 'L', 'N', 'G', 'R', 'M', '1'};
// A distinct seed keeps these keys apart from the ids and shingles hashed elsewhere.
constexpr uint64_t kNgramSeed = 0x6c616e67756167ULL;

template <class T>
bool ReadAt(const char* base, size_t size, size_t* pos, T* out) {
  if (*pos + sizeof(T) > size) return false;
  std::memcpy(out, base + *pos, sizeof(T));
  *pos += sizeof(T);
  return true;
}

}  // namespace

uint64_t NgramKey(std::string_view ngram) {
  const uint64_t h = XXH3_64bits_withSeed(ngram.data(), ngram.size(), kNgramSeed);
  return h == 0 ? 1 : h;
}

void ModelUnmapper::operator()(char* p) const {
  if (p != nullptr) munmap(p, size);
}

bool NgramModel::Allocate(size_t size) {
  // Anonymous memory aligned to 2 MiB and flagged for transparent huge pages: the lookups hit
  // random places of a table of hundreds of MB, and with 4 KiB pages nearly each one also
  // misses the TLB. Where the kernel gives no huge pages this is ordinary memory.
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t mapped = (size + kHuge - 1) / kHuge * kHuge + kHuge;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  char* base = static_cast<char*>(p);
  char* aligned =
      reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(base) + kHuge - 1) / kHuge * kHuge);
  // Give back the unaligned head and the unused tail; keep [aligned, aligned + size rounded).
  const size_t keep = (size + kHuge - 1) / kHuge * kHuge;
  if (aligned > base) munmap(base, static_cast<size_t>(aligned - base));
  const size_t tail = mapped - static_cast<size_t>(aligned - base) - keep;
  if (tail > 0) munmap(aligned + keep, tail);
#ifdef MADV_HUGEPAGE
  madvise(aligned, keep, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
#endif
  buffer_ = std::unique_ptr<char, ModelUnmapper>(aligned, ModelUnmapper{keep});
  buffer_size_ = size;
  return true;
}

Result<std::unique_ptr<NgramModel>> NgramModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return MakeError("cannot open language model " + path, "io");
  const std::streamsize size = in.tellg();
  if (size < 32) return MakeError("language model " + path + " is truncated", "corrupt");
  auto model = std::unique_ptr<NgramModel>(new NgramModel());
  if (!model->Allocate(static_cast<size_t>(size))) {
    return MakeError("no memory for language model " + path, "io");
  }
  in.seekg(0);
  char* base = model->buffer_.get();
  if (!in.read(base, size)) return MakeError("cannot read language model " + path, "io");
  const size_t n = static_cast<size_t>(size);
  model->fingerprint_ = Hash64(std::string_view(base, n));
  const auto corrupt = [&path](const char* what) {
    return MakeError("language model " + path + " is corrupt: " + what, "corrupt");
  };
  if (std::memcmp(base, kMagic, sizeof kMagic) != 0) return corrupt("bad magic");
  size_t pos = sizeof kMagic;
  uint32_t num_languages = 0;
  if (!ReadAt(base, n, &pos, &num_languages) || num_languages == 0 ||
      num_languages > kMaxModelLanguages) {
    return corrupt("language count");
  }
  for (uint32_t i = 0; i < num_languages; ++i) {
    uint8_t len = 0;
    if (!ReadAt(base, n, &pos, &len) || pos + len > n) return corrupt("language code");
    model->languages_.emplace_back(base + pos, len);
    pos += len;
  }
  uint64_t num_slots = 0;
  if (!ReadAt(base, n, &pos, &num_slots) || !ReadAt(base, n, &pos, &model->num_postings_)) {
    return corrupt("header");
  }
  pos = (pos + 7) / 8 * 8;  // the writer aligns the slot table
  if (num_slots == 0 || (num_slots & (num_slots - 1)) != 0 ||
      num_slots > (n - pos) / sizeof(Slot) ||
      model->num_postings_ > (n - pos - num_slots * sizeof(Slot)) / sizeof(NgramPosting)) {
    return corrupt("table sizes");
  }
  model->slots_ = reinterpret_cast<const Slot*>(base + pos);
  model->mask_ = num_slots - 1;
  model->postings_ = reinterpret_cast<const NgramPosting*>(base + pos + num_slots * sizeof(Slot));
  for (uint64_t i = 0; i < model->num_postings_; ++i) {
    if (model->postings_[i].language >= num_languages) return corrupt("posting language");
  }
  // One pass over the slots checks each key's postings and moves a single posting into its
  // slot (see Postings()); the buffer is the model's own copy. The postings lie in no
  // particular order: those of the slot kAhead places on are prefetched.
  Slot* slots = reinterpret_cast<Slot*>(base + pos);
  constexpr uint64_t kAhead = 16;
  for (uint64_t i = 0; i < num_slots; ++i) {
    if (i + kAhead < num_slots && slots[i + kAhead].begin < model->num_postings_) {
      __builtin_prefetch(model->postings_ + slots[i + kAhead].begin);
    }
    Slot& s = slots[i];
    if (s.key == 0) {
      s.count = 0;  // whatever the file says: ForEachKey() reads the count of any slot
      continue;
    }
    if (static_cast<uint64_t>(s.begin) + s.count > model->num_postings_) {
      return corrupt("posting range");
    }
    const NgramPosting* p = model->postings_ + s.begin;
    if (s.count == 1) {
      s.posting = *p;
      continue;
    }
    // The builder writes each key's postings by increasing language; readers rely on it.
    for (uint32_t k = 1; k < s.count; ++k) {
      if (p[k - 1].language >= p[k].language) return corrupt("posting order");
    }
  }
  return model;
}

int NgramModel::LanguageIndex(std::string_view code) const {
  for (size_t i = 0; i < languages_.size(); ++i) {
    if (languages_[i] == code) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::unique_ptr<GroupTable>> GroupTable::Build(
    const NgramModel& model, const std::vector<std::vector<int>>& groups) {
  std::vector<std::unique_ptr<GroupTable>> tables(groups.size());
  // For each model language, its (group, position) pairs: a language can be in two groups.
  struct Member {
    size_t group;
    size_t position;
  };
  std::vector<std::vector<Member>> member_of(model.languages().size());
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty() || groups[g].size() > kMaxGroupTableLanguages) continue;
    tables[g] = std::unique_ptr<GroupTable>(new GroupTable());
    tables[g]->languages_ = groups[g];
    for (size_t j = 0; j < groups[g].size(); ++j) member_of[groups[g][j]].push_back({g, j});
  }

  // One pass over the model collects each table's entries, in the model's order; each table
  // is then sized for its keys and filled in that order. The inserts land at random in tables
  // of tens of MB: the home slot of the entry kAhead places on is prefetched, so that their
  // cache misses overlap.
  struct Entry {
    uint64_t key;
    uint32_t position;
    int16_t log_prob_milli;
  };
  std::vector<std::vector<Entry>> entries(groups.size());
  std::vector<size_t> keys(groups.size(), 0);
  model.ForEachKey([&](uint64_t key, std::span<const NgramPosting> postings) {
    for (const NgramPosting& p : postings) {
      for (const Member& m : member_of[p.language]) {
        std::vector<Entry>& e = entries[m.group];
        if (e.empty() || e.back().key != key) ++keys[m.group];
        e.push_back({key, static_cast<uint32_t>(m.position), p.log_prob_milli});
      }
    }
  });
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!tables[g]) continue;
    GroupTable& t = *tables[g];
    // Load at most 0.8: linear probing stays short over 16-byte slots, four to a cache line.
    t.slots_.assign(keys[g] * 5 / 4 + 1, Slot{});
    const auto insert = [&t](const Entry& in) {
      size_t i = t.Home(in.key);
      while (t.slots_[i].key != 0 && t.slots_[i].key != in.key) {
        if (++i == t.slots_.size()) i = 0;
      }
      Slot& slot = t.slots_[i];
      if (slot.key == 0) {
        slot.key = in.key;
        for (int16_t& v : slot.log_prob_milli) v = kAbsent;
      }
      slot.log_prob_milli[in.position] = in.log_prob_milli;
    };
    constexpr size_t kAhead = 16;
    const std::vector<Entry>& e = entries[g];
    for (size_t k = 0; k < e.size(); ++k) {
      if (k + kAhead < e.size()) __builtin_prefetch(&t.slots_[t.Home(e[k + kAhead].key)], 1);
      insert(e[k]);
    }
    std::vector<Entry>().swap(entries[g]);
  }
  return tables;
}

int NgramModelBuilder::AddLanguage(const std::string& code) {
  for (size_t i = 0; i < languages_.size(); ++i) {
    if (languages_[i] == code) return static_cast<int>(i);
  }
  if (languages_.size() >= kMaxModelLanguages || code.empty() || code.size() > 255) return -1;
  languages_.push_back(code);
  return static_cast<int>(languages_.size() - 1);
}

void NgramModelBuilder::Add(std::string_view ngram, int language, double log_prob) {
  const double milli = std::clamp(std::round(log_prob * 1000.0), -32767.0, 0.0);
  entries_.push_back(
      {NgramKey(ngram), static_cast<uint8_t>(language), static_cast<int16_t>(milli)});
}

Status NgramModelBuilder::Write(const std::string& path) {
  // Stable: for a (key, language) added twice, the first addition wins.
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.language < b.language;
  });
  // One posting per (key, language): a duplicate keeps the first (the builder's caller adds
  // each n-gram once per language; a 64-bit collision between two n-grams is vanishingly rare).
  std::vector<NgramPosting> postings;
  postings.reserve(entries_.size());
  struct Group {
    uint64_t key;
    uint32_t begin;
    uint32_t count;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (groups.empty() || groups.back().key != e.key) {
      groups.push_back({e.key, static_cast<uint32_t>(postings.size()), 0});
    } else if (postings.back().language == e.language) {
      continue;
    }
    postings.push_back({e.language, 0, e.log_prob_milli});
    ++groups.back().count;
  }
  uint64_t num_slots = 1;
  while (num_slots < groups.size() * 10 / 7 + 1) num_slots <<= 1;
  std::vector<uint64_t> slots(num_slots * 2, 0);  // key, begin|count<<32
  const uint64_t mask = num_slots - 1;
  for (const Group& g : groups) {
    uint64_t i = g.key & mask;
    while (slots[i * 2] != 0) i = (i + 1) & mask;
    slots[i * 2] = g.key;
    slots[i * 2 + 1] = static_cast<uint64_t>(g.begin) | (static_cast<uint64_t>(g.count) << 32);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError("cannot write " + path, "io");
  std::string header(kMagic, sizeof kMagic);
  const uint32_t num_languages = static_cast<uint32_t>(languages_.size());
  header.append(reinterpret_cast<const char*>(&num_languages), sizeof num_languages);
  for (const std::string& code : languages_) {
    header.push_back(static_cast<char>(code.size()));
    header += code;
  }
  const uint64_t num_postings = postings.size();
  header.append(reinterpret_cast<const char*>(&num_slots), sizeof num_slots);
  header.append(reinterpret_cast<const char*>(&num_postings), sizeof num_postings);
  header.resize((header.size() + 7) / 8 * 8, '\0');
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(slots.data()),
            static_cast<std::streamsize>(slots.size() * sizeof(uint64_t)));
  out.write(reinterpret_cast<const char*>(postings.data()),
            static_cast<std::streamsize>(postings.size() * sizeof(NgramPosting)));
  if (!out) return MakeError("cannot write " + path, "io");
  return Status::Ok();
}

}  // namespace newsflow::language
