#include "stages/dedup/shingles.h"

#if defined(__SSE2__)
#include <emmintrin.h>  // SSE2, part of every x86-64 CPU
#endif

#include <algorithm>
#include <type_traits>

// Inlined XXH3 for the per-token hash (the hottest call): the same function and values as
// common/hash.h's Hash64, without a library call per word.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/hash.h"

namespace newsflow::dedup {
namespace {

enum class CharClass { kWord, kJoiner, kBreak, kSingle };

// Lower case for the scripts news mostly comes in; other code points are returned unchanged.
uint32_t Lower(uint32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F) {
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
    if (odd_upper) return (c & 1) ? c + 1 : c;
    return (c & 1) ? c : c + 1;
  }
  if (c >= 0x391 && c <= 0x3A9) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

CharClass Classify(uint32_t c) {
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      return CharClass::kWord;
    if (c == '\'' || c == '`') return CharClass::kJoiner;
    return CharClass::kBreak;
  }
  // Latin, Greek, Cyrillic and the other alphabets below U+2000 (most of the non-ASCII letters
  // of news text), decided in a few comparisons instead of the whole list below; the same
  // classes the list gives them.
  if (c >= 0xC0 && c < 0x2000) {
    if (c == 0xD7 || c == 0xF7) return CharClass::kBreak;
    if (c == 0x02BC) return CharClass::kJoiner;
    if ((c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F)) return CharClass::kSingle;
    return CharClass::kWord;
  }
  // Apostrophe-like marks keep a word together: "Korea’s", "O’Neill", "Jong‘un".
  if (c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x00B4 || c == 0x2032) {
    return CharClass::kJoiner;
  }
  if (c == 0xAA || c == 0xB5 || c == 0xBA) return CharClass::kWord;
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return CharClass::kBreak;  // Latin-1 punctuation
  if (c >= 0x2000 && c <= 0x2BFF) return CharClass::kBreak;          // punctuation, symbols, arrows
  if (c >= 0x3000 && c <= 0x303F) return CharClass::kBreak;          // CJK punctuation
  if (c >= 0xFE30 && c <= 0xFE4F) return CharClass::kBreak;          // CJK compatibility forms
  if (c >= 0xFF00 && c <= 0xFF0F) return CharClass::kBreak;          // fullwidth punctuation
  if (c >= 0xFF1A && c <= 0xFF20) return CharClass::kBreak;
  if (c == 0xFEFF || c == 0xFFFD || (c >= 0xFE00 && c <= 0xFE0F)) return CharClass::kBreak;
  if (c >= 0x1F000) return CharClass::kBreak;  // emoji and pictographs
  // Unspaced scripts: one token per character.
  if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
      (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
      (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F)) {
    return CharClass::kSingle;
  }
  return CharClass::kWord;
}

// Decodes one code point at s[*i]; invalid sequences yield U+FFFD and advance one byte.
uint32_t Decode(std::string_view s, size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  int len = 0;
  uint32_t c = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    c = b0 & 0x07;
  } else {
    ++*i;
    return 0xFFFD;
  }
  if (*i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    c = (c << 6) | (b & 0x3F);
  }
  *i += len;
  return c;
}

// A token being built: a fixed buffer, so the hot loop never allocates. Tokens longer than the
// buffer keep their first kMaxTokenBytes bytes (no real word is that long).
constexpr size_t kMaxTokenBytes = 96;
struct TokenBuf {
  char data[kMaxTokenBytes + 16];  // room for one 16-byte store at any size <= kMaxTokenBytes
  size_t size = 0;
  void Append(uint32_t c) {
    if (size >= kMaxTokenBytes) return;
    if (c < 0x80) {
      data[size++] = static_cast<char>(c);
    } else if (c < 0x800) {
      data[size++] = static_cast<char>(0xC0 | (c >> 6));
      data[size++] = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      data[size++] = static_cast<char>(0xE0 | (c >> 12));
      data[size++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      data[size++] = static_cast<char>(0x80 | (c & 0x3F));
    } else {
      data[size++] = static_cast<char>(0xF0 | (c >> 18));
      data[size++] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      data[size++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      data[size++] = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  std::string_view view() const { return {data, size}; }
};

// ASCII classes and lower case by table: the common case of the hot loop.
struct AsciiTable {
  uint8_t cls[128];
  char lower[128];
  constexpr AsciiTable() : cls(), lower() {
    for (int c = 0; c < 128; ++c) {
      const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      cls[c] = static_cast<uint8_t>(word                      ? CharClass::kWord
                                    : (c == '\'' || c == '`') ? CharClass::kJoiner
                                                              : CharClass::kBreak);
      lower[c] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
  }
};
constexpr AsciiTable kAscii;

// The length of the run of ASCII letters and digits at p (0 to 16), and p's 16 bytes with
// those letters lower-cased in `lowered`. Bytes >= 0x80 are negative as signed and never in the
// run, so the run ends where the byte-wise path must take over.
inline size_t AsciiWordRun(const char* p, char* lowered) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // 'A'-'Z' -> 'a'-'z'
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  const __m128i word = _mm_or_si128(letter, digit);
  // Letters take the folded byte, digits their own (digits already have bit 0x20 set).
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lowered),
                   _mm_or_si128(v, _mm_and_si128(letter, _mm_set1_epi8(0x20))));
  const auto mask = static_cast<unsigned>(_mm_movemask_epi8(word));
  return static_cast<size_t>(__builtin_ctz(~mask | 0x10000u));
#else
  size_t run = 0;
  for (; run < 16; ++run) {
    const auto c = static_cast<unsigned char>(p[run]);
    if (c >= 0x80 || kAscii.cls[c] != static_cast<uint8_t>(CharClass::kWord)) break;
    lowered[run] = kAscii.lower[c];
  }
  return run;
#endif
}

// The tokenizer: calls emit(token) per normalised token, stops early when emit returns false.
template <class Emit>
void Tokenize(std::string_view text, Emit&& emit) {
  TokenBuf token;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Runs of ASCII letters and digits, 16 bytes at a time: most of a text's bytes.
    while (i + 16 <= n) {
      const auto first = static_cast<unsigned char>(text[i]);
      if (first >= 0x80 || kAscii.cls[first] != static_cast<uint8_t>(CharClass::kWord)) break;
      const size_t run = AsciiWordRun(text.data() + i, token.data + token.size);
      token.size = std::min(token.size + run, kMaxTokenBytes);
      i += run;
      if (run < 16) break;
    }
    if (i >= n) break;
    const auto b = static_cast<unsigned char>(text[i]);
    CharClass cls;
    uint32_t c;
    if (b < 0x80) {
      ++i;
      cls = static_cast<CharClass>(kAscii.cls[b]);
      if (cls == CharClass::kWord) {
        if (token.size < kMaxTokenBytes) token.data[token.size++] = kAscii.lower[b];
        continue;
      }
      c = b;
    } else {
      c = Decode(text, &i);
      cls = Classify(c);
    }
    switch (cls) {
      case CharClass::kWord:
        token.Append(Lower(c));
        break;
      case CharClass::kJoiner:
        break;
      case CharClass::kBreak:
        if (token.size) {
          if (!emit(token.view())) return;
          token.size = 0;
        }
        break;
      case CharClass::kSingle:
        if (token.size) {
          if (!emit(token.view())) return;
          token.size = 0;
        }
        token.Append(c);
        if (!emit(token.view())) return;
        token.size = 0;
        break;
    }
  }
  if (token.size) emit(token.view());
}


// Sorts values that are uniformly distributed over [0, max] (hash values): one counting pass
// on the top 8 bits of that range, then an insertion sort that only fixes order inside each of
// the 256 buckets, O(n) expected for the few hundred values of an article instead of
// O(n log n). Any input is sorted correctly; skewed input is only slower.
template <class T>
void SortUniform(std::vector<T>* v, std::vector<T>* scratch, T max) {
  const size_t n = v->size();
  if (n < 64) {
    std::sort(v->begin(), v->end());
    return;
  }
  int shift = 0;  // (max >> shift) < 256
  while ((max >> shift) > 255) ++shift;
  size_t start[257] = {};
  for (T x : *v) ++start[(x >> shift) + 1];
  for (size_t b = 1; b <= 256; ++b) start[b] += start[b - 1];
  scratch->resize(n);
  for (T x : *v) (*scratch)[start[x >> shift]++] = x;
  for (size_t i = 1; i < n; ++i) {
    const T x = (*scratch)[i];
    size_t j = i;
    for (; j > 0 && (*scratch)[j - 1] > x; --j) (*scratch)[j] = (*scratch)[j - 1];
    (*scratch)[j] = x;
  }
  v->swap(*scratch);
}

}  // namespace

void ForEachToken(std::string_view text, const std::function<void(std::string_view)>& emit) {
  Tokenize(text, [&](std::string_view t) {
    emit(t);
    return true;
  });
}

void SignatureBuilder::Build(std::string_view text, Signature* out) {
  out->Clear();
  token_hashes_.clear();
  const size_t max_tokens = static_cast<size_t>(options_.max_tokens);
  Tokenize(text, [&](std::string_view t) {
    token_hashes_.push_back(XXH3_64bits_withSeed(t.data(), t.size(), 0));
    return token_hashes_.size() < max_tokens;
  });
  const size_t n = token_hashes_.size();
  out->tokens = static_cast<uint32_t>(n);
  if (n == 0) return;
  out->text_hash =
      XXH3_64bits_withSeed(token_hashes_.data(), n * sizeof(uint64_t), 0x6e657773666c6f77ULL);
  // A text shorter than one shingle is one shingle of all its words.
  const size_t k = std::min(n, static_cast<size_t>(options_.shingle_words));
  const size_t positions = n - k + 1;
  out->shingles = static_cast<uint32_t>(positions);
  // Keys come from the max_keys smallest distinct shingle hashes. Hashes are uniform, so the
  // smallest ones are below a threshold that about 4 * max_keys of `positions` values pass:
  // only those are kept and sorted. Repeated shingles can leave fewer than max_keys distinct
  // ones under it; then every shingle is sorted (rare, and the same result either way).
  const size_t max_keys = static_cast<size_t>(std::max(options_.index_keys, options_.query_keys));
  const uint64_t threshold =
      positions <= 4 * max_keys ? UINT64_MAX : (UINT64_MAX / positions) * (4 * max_keys);
  const uint64_t sample_mask = static_cast<uint64_t>(options_.sample_rate) - 1;
  // Branch-free selection: every value is written, the count advances only for the kept ones
  // (which ones are kept is random, so a branch would be mispredicted often).
  shingles_.resize(positions);
  low_.resize(positions);
  samples_.resize(positions);
  size_t lows = 0, samples = 0;
  // The default shingle length as a constant, so that the compiler unrolls the word loop.
  const auto hash_shingles = [&](auto fixed_k) {
    const size_t kk = fixed_k ? fixed_k : k;
    for (size_t i = 0; i < positions; ++i) {
      // Token hashes are already XXH3 outputs: an order-sensitive combination and one strong
      // finaliser is enough, and several times cheaper than hashing the k*8 bytes again.
      uint64_t h = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(kk);
      for (size_t j = 0; j < kk; ++j) {
        h = (h ^ token_hashes_[i + j]) * 0xbf58476d1ce4e5b9ULL;
        h = (h << 27) | (h >> 37);
      }
      h = Mix64(h);
      shingles_[i] = h;
      // Samples: the shingles whose low bits are zero (the same subset in every article).
      samples_[samples] = static_cast<uint32_t>(h >> 32);
      samples += (h & sample_mask) == 0 ? 1 : 0;
      low_[lows] = h;
      lows += h <= threshold ? 1 : 0;
    }
  };
  if (k == 4) {
    hash_shingles(std::integral_constant<size_t, 4>{});
  } else {
    hash_shingles(std::integral_constant<size_t, 0>{});
  }
  samples_.resize(samples);
  SortUniform<uint32_t>(&samples_, &sort_scratch32_, UINT32_MAX);
  out->samples.assign(samples_.begin(), std::unique(samples_.begin(), samples_.end()));
  auto take_keys = [&](std::vector<uint64_t>* from) {
    out->keys.clear();
    for (size_t i = 0; i < from->size() && out->keys.size() < max_keys; ++i) {
      if (i > 0 && (*from)[i] == (*from)[i - 1]) continue;  // the same shingle again
      // The low half: the high half of the smallest hashes is mostly zero bits (see Signature).
      const auto key = static_cast<uint32_t>((*from)[i]);
      if (std::find(out->keys.begin(), out->keys.end(), key) == out->keys.end()) {
        out->keys.push_back(key);
      }
    }
  };
  low_.resize(lows);
  SortUniform<uint64_t>(&low_, &sort_scratch64_, threshold);
  take_keys(&low_);
  if (out->keys.size() < max_keys && lows < positions) {
    std::sort(shingles_.begin(), shingles_.end());
    take_keys(&shingles_);
  }
}

size_t IntersectionSize(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  // Branch-free merge: which side advances is random for hash values, so branches on it would
  // be mispredicted about half the time.
  const uint32_t* x = a.data();
  const uint32_t* y = b.data();
  const uint32_t* const xe = x + a.size();
  const uint32_t* const ye = y + b.size();
  size_t n = 0;
  while (x < xe && y < ye) {
    // Sign-bit arithmetic rather than comparisons, which the compiler turns back into branches.
    const int64_t diff = static_cast<int64_t>(*x) - static_cast<int64_t>(*y);
    const auto step_x = static_cast<size_t>(static_cast<uint64_t>(diff - 1) >> 63);   // x <= y
    const auto step_y = static_cast<size_t>(static_cast<uint64_t>(-diff - 1) >> 63);  // y <= x
    n += step_x & step_y;
    x += step_x;
    y += step_y;
  }
  return n;
}

void SampleSet::Assign(std::span<const uint32_t> keys) {
  keys_ = keys;
  shift_ = 32;
  if (keys.empty()) return;
  // 2^bits home cells, at least 4 per key and at least 2 * kWindow (see the empty cells).
  int bits = 4;
  while ((size_t{1} << bits) < 4 * keys.size()) ++bits;
  for (int growth = 0; growth <= kMaxGrowth && bits <= 31; ++growth, ++bits) {
    const size_t homes = size_t{1} << bits;
    const auto shift = static_cast<uint32_t>(32 - bits);
    // An empty cell must never equal a key whose window covers it: cells in the lower half are
    // covered only by keys below 2^31 (never UINT32_MAX), cells in the upper half only by keys
    // of at least 2^31 (never 0), as homes >= 2 * kWindow.
    cells_.resize(homes + kWindow);
    std::fill(cells_.begin(), cells_.begin() + static_cast<ptrdiff_t>(homes / 2), UINT32_MAX);
    std::fill(cells_.begin() + static_cast<ptrdiff_t>(homes / 2), cells_.end(), 0);
    // Homes never decrease along ascending keys, so each key goes right after the previous one
    // or at its home, whichever is later, and the table stays in ascending order.
    size_t next = 0;  // first cell not yet written
    bool fits = true;
    for (uint32_t key : keys) {
      const size_t home = key >> shift;
      next = std::max(next, home);
      if (next - home >= kWindow) {
        fits = false;
        break;
      }
      cells_[next++] = key;
    }
    if (fits) {
      shift_ = shift;
      return;
    }
  }
}

size_t SampleSet::IntersectionSize(std::span<const uint32_t> other) const {
  if (shift_ >= 32) return dedup::IntersectionSize(keys_, other);
  const uint32_t* cells = cells_.data();
  static_assert(kWindow == 4);
#if defined(__SSE2__)
  // A lane is all ones where the window holds the key (at most one lane per key: A's keys are
  // distinct); subtracting it counts the match in that lane.
  __m128i counts = _mm_setzero_si128();
  for (uint32_t key : other) {
    const __m128i window =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(cells + (key >> shift_)));
    counts = _mm_sub_epi32(counts,
                           _mm_cmpeq_epi32(window, _mm_set1_epi32(static_cast<int32_t>(key))));
  }
  alignas(16) uint32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), counts);
  return size_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3];
#else
  size_t n = 0;
  for (uint32_t key : other) {
    const uint32_t* c = cells + (key >> shift_);
    n += static_cast<size_t>((c[0] == key) | (c[1] == key) | (c[2] == key) | (c[3] == key));
  }
  return n;
#endif
}

}  // namespace newsflow::dedup
