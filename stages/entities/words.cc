#include "stages/entities/words.h"

#include "common/hash.h"

namespace newsflow::entities {

size_t NormalizeWord(std::string_view w, char* buf, size_t cap) {
  bool has_alpha = false;
  for (char c : w) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      has_alpha = true;
      break;
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < w.size() && n < cap; ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') {
      buf[n++] = static_cast<char>(c + 32);
    } else if (c == '.' && has_alpha && w.size() > 1) {
      continue;
    } else if (c == 0xE2 && i + 2 < w.size() && static_cast<unsigned char>(w[i + 1]) == 0x80) {
      unsigned char d = static_cast<unsigned char>(w[i + 2]);
      if (d == 0x98 || d == 0x99) {  // ‘ ’
        buf[n++] = '\'';
        i += 2;
      } else if (d == 0x90 || d == 0x91 || d == 0x93) {  // hyphen, non-breaking hyphen, en dash
        buf[n++] = '-';
        i += 2;
      } else {
        buf[n++] = static_cast<char>(c);
      }
    } else {
      buf[n++] = static_cast<char>(c);
    }
  }
  return n;
}

std::string NormalizeWord(std::string_view w) {
  char buf[256];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  return std::string(buf, n);
}

uint64_t NormHash(std::string_view w) {
  char buf[96];
  size_t n = NormalizeWord(w, buf, sizeof(buf));
  return Hash64(std::string_view(buf, n), 0x6e6f726d);
}

bool StartsUpperSlow(std::string_view w) {
  for (size_t i = 0; i < w.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') return true;
    if (c >= 'a' && c <= 'z') return false;
    if (c == 0xC3 && i + 1 < w.size()) {  // Latin-1 letters: U+00C0..U+00DE are upper case
      unsigned char d = static_cast<unsigned char>(w[i + 1]);
      return d >= 0x80 && d <= 0x9E && d != 0x97;
    }
    if (c >= 0x80) return false;
  }
  return false;
}

bool IsAllCaps(std::string_view w) {
  bool letter = false;
  for (char c : w) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') letter = true;
  }
  return letter;
}

bool HasLower(std::string_view w) {
  for (char c : w)
    if (c >= 'a' && c <= 'z') return true;
  return false;
}

}  // namespace newsflow::entities
