// newsflow-language-train: builds the language stage's n-gram model file.
//
//   newsflow-language-train --out FILE [--profiles DIR] [--text CODE=FILE ...]
//
// --profiles DIR  imports published n-gram profiles: DIR/<code>/{unigrams,bigrams,trigrams,
//                 quadrigrams,fivegrams}.json.br, brotli-compressed JSON objects whose
//                 `ngrams` map a relative frequency "numerator/denominator" (count of the n-gram
//                 over count of its first n-1 letters) to a space-separated list of n-grams.
//                 This is the layout of the language-models folder of the Apache-2.0 licensed
//                 Python package lingua-language-detector 1.3.x (see scripts/language-model.sh).
// --text CODE=FILE  counts n-grams (orders 1-5, within words, lower-cased letters) in a UTF-8
//                 text file and adds them for language CODE, with the same conditional
//                 relative frequencies, and whole words (smoothed unigram probabilities, keys
//                 prefixed with kWordPrefix). Repeatable. A language given both ways keeps the
//                 profile's value for n-grams found in both.
// --langid DIR --lines K/M  trains from a development set laid out as DIR/{sentences,
//                 word-pairs,single-words}/<code>.txt, one text per line, taking only the
//                 0-based lines i with i % M == K (default 0/2: the even lines), so that the
//                 other lines stay unseen for evaluation.
#include <brotli/decode.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "stages/language/ngram_model.h"
#include "stages/language/text.h"

namespace fs = std::filesystem;
using newsflow::language::NgramModelBuilder;

namespace {

constexpr const char* kOrderFiles[] = {"unigrams", "bigrams", "trigrams", "quadrigrams",
                                       "fivegrams"};

bool ReadAll(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool Brotli(const std::string& in, std::string* out) {
  BrotliDecoderState* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (st == nullptr) return false;
  out->clear();
  size_t avail_in = in.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
  BrotliDecoderResult r = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  char buf[1 << 16];
  while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    size_t avail_out = sizeof buf;
    uint8_t* next_out = reinterpret_cast<uint8_t*>(buf);
    r = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out->append(buf, sizeof buf - avail_out);
  }
  BrotliDecoderDestroyInstance(st);
  return r == BROTLI_DECODER_RESULT_SUCCESS;
}

bool ImportProfile(const fs::path& dir, const std::string& code, NgramModelBuilder* b) {
  const int lang = b->AddLanguage(code);
  if (lang < 0) return false;
  simdjson::dom::parser parser;
  std::string compressed;
  std::string json;
  for (const char* order : kOrderFiles) {
    const fs::path p = dir / (std::string(order) + ".json.br");
    if (order != kOrderFiles[0] && !fs::exists(p)) continue;  // logographic: unigrams only
    if (!ReadAll(p, &compressed) || !Brotli(compressed, &json)) {
      std::cerr << "cannot read " << p << "\n";
      return false;
    }
    simdjson::dom::object ngrams;
    if (parser.parse(json).get_object()["ngrams"].get(ngrams) != simdjson::SUCCESS) {
      std::cerr << p << ": no ngrams object\n";
      return false;
    }
    for (auto field : ngrams) {
      const std::string_view frac = field.key;
      const size_t slash = frac.find('/');
      double num = 0, den = 0;
      if (slash == std::string_view::npos ||
          std::from_chars(frac.data(), frac.data() + slash, num).ec != std::errc() ||
          std::from_chars(frac.data() + slash + 1, frac.data() + frac.size(), den).ec !=
              std::errc() ||
          num <= 0 || den <= 0) {
        std::cerr << p << ": bad fraction " << frac << "\n";
        return false;
      }
      const double lp = std::log(num / den);
      std::string_view list;
      if (field.value.get(list) != simdjson::SUCCESS) return false;
      size_t start = 0;
      while (start < list.size()) {
        size_t end = list.find(' ', start);
        if (end == std::string_view::npos) end = list.size();
        if (end > start) b->Add(list.substr(start, end - start), lang, lp);
        start = end + 1;
      }
    }
  }
  return true;
}

bool TrainText(const std::string& code, const std::vector<fs::path>& files, size_t k, size_t m,
               NgramModelBuilder* b) {
  const int lang = b->AddLanguage(code);
  if (lang < 0) return false;
  std::unordered_map<std::string, uint64_t> counts;
  std::unordered_map<std::string, uint64_t> words;
  uint64_t letters = 0;
  uint64_t num_words = 0;
  newsflow::language::Tokenized tok;
  std::string line;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (i % m != k) continue;
      tok.clear();
      newsflow::language::Tokenize(line, SIZE_MAX, &tok);
      letters += tok.letter_count;
      for (const auto& w : tok.words) {
        ++words[std::string(tok.Span(w.begin, w.end))];
        ++num_words;
        for (uint32_t end = w.begin + 1; end <= w.end; ++end) {
          for (uint32_t n = 1; n <= newsflow::language::kMaxNgramOrder && end >= w.begin + n; ++n) {
            ++counts[std::string(tok.Span(end - n, end))];
          }
        }
      }
    }
  }
  if (letters == 0) return false;
  for (const auto& [ngram, count] : counts) {
    // Conditional frequency: over the count of the n-gram's first n-1 letters (unigrams: over
    // all letters). The prefix is found by dropping the last code point.
    size_t cut = ngram.size() - 1;
    while (cut > 0 && (static_cast<unsigned char>(ngram[cut]) & 0xC0) == 0x80) --cut;
    const uint64_t den = cut == 0 ? letters : counts.at(ngram.substr(0, cut));
    b->Add(ngram, lang, std::log(static_cast<double>(count) / static_cast<double>(den)));
  }
  // Whole words, additively smoothed; the bare prefix holds the probability of an unseen word.
  const double kAlpha = 0.5;
  const double denom = static_cast<double>(num_words) + kAlpha * (words.size() + 1);
  std::string key;
  for (const auto& [word, count] : words) {
    key.assign(1, newsflow::language::kWordPrefix);
    key += word;
    b->Add(key, lang, std::log((static_cast<double>(count) + kAlpha) / denom));
  }
  b->Add(std::string(1, newsflow::language::kWordPrefix), lang, std::log(kAlpha / denom));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  std::string profiles;
  std::vector<std::string> texts;
  std::string langid;
  size_t lines_k = 0, lines_m = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--profiles" && i + 1 < argc) {
      profiles = argv[++i];
    } else if (a == "--langid" && i + 1 < argc) {
      langid = argv[++i];
    } else if (a == "--lines" && i + 1 < argc) {
      const std::string v = argv[++i];
      const size_t slash = v.find('/');
      lines_k = std::strtoul(v.substr(0, slash).c_str(), nullptr, 10);
      lines_m = slash == std::string::npos ? 0 : std::strtoul(v.c_str() + slash + 1, nullptr, 10);
      if (lines_m == 0 || lines_k >= lines_m) {
        std::cerr << "--lines takes K/M with K < M\n";
        return 2;
      }
    } else if (a == "--text" && i + 1 < argc) {
      texts.push_back(argv[++i]);
    } else {
      std::cerr << "usage: newsflow-language-train --out FILE [--profiles DIR] "
                   "[--text CODE=FILE ...] [--langid DIR [--lines K/M]]\n";
      return 2;
    }
  }
  if (out.empty() || (profiles.empty() && texts.empty() && langid.empty())) {
    std::cerr << "newsflow-language-train: --out and a source (--profiles/--text) needed\n";
    return 2;
  }
  NgramModelBuilder builder;
  if (!profiles.empty()) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(profiles, ec)) {
      if (e.is_directory()) dirs.push_back(e.path());
    }
    if (ec || dirs.empty()) {
      std::cerr << "no language folders in " << profiles << "\n";
      return 1;
    }
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path& d : dirs) {
      if (!ImportProfile(d, d.filename().string(), &builder)) return 1;
    }
  }
  for (const std::string& t : texts) {
    const size_t eq = t.find('=');
    if (eq == std::string::npos ||
        !TrainText(t.substr(0, eq), {fs::path(t.substr(eq + 1))}, 0, 1, &builder)) {
      std::cerr << "cannot train from " << t << "\n";
      return 1;
    }
  }
  if (!langid.empty()) {
    std::vector<std::string> codes;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(langid) / "sentences", ec)) {
      if (e.path().extension() == ".txt") codes.push_back(e.path().stem().string());
    }
    std::sort(codes.begin(), codes.end());
    if (ec || codes.empty()) {
      std::cerr << "no languages under " << langid << "/sentences\n";
      return 1;
    }
    for (const std::string& code : codes) {
      std::vector<fs::path> files;
      for (const char* set : {"sentences", "word-pairs", "single-words"}) {
        const fs::path p = fs::path(langid) / set / (code + ".txt");
        if (fs::exists(p)) files.push_back(p);
      }
      if (!TrainText(code, files, lines_k, lines_m, &builder)) {
        std::cerr << "cannot train " << code << " from " << langid << "\n";
        return 1;
      }
    }
  }
  const newsflow::Status st = builder.Write(out);
  if (!st.ok()) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  std::cerr << "wrote " << out << " (" << builder.size() << " entries)\n";
  return 0;
}
