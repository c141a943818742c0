#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/hash.h"
#include "stages/clean/extract.h"
#include "stages/clean/normalize.h"
#include "stages/clean/text_rules.h"

namespace newsflow::clean {
namespace {

enum Flag : uint16_t {
  kSkip = 1 << 0,      // text is not content (script, style, form controls, ...)
  kBoiler = 1 << 1,    // navigation, ads, related lists, share bars, comments, ...
  kFigure = 1 << 2,    // figures, captions and credits
  kPositive = 1 << 3,  // markup says "article body"
  kHeading = 1 << 4,
  kLink = 1 << 5,
  kBlock = 1 << 6,
  kJsonLd = 1 << 7,
  kTitle = 1 << 8,
  kH1 = 1 << 9,
  kByline = 1 << 10,
  kListItem = 1 << 11,
};

const std::unordered_map<std::string_view, uint16_t>& TagTable() {
  static const auto* table = new std::unordered_map<std::string_view, uint16_t>{
      {"script", kSkip},
      {"style", kSkip},
      {"noscript", kSkip},
      {"template", kSkip},
      {"svg", kSkip},
      {"math", kSkip},
      {"iframe", kSkip},
      {"object", kSkip},
      {"embed", kSkip},
      {"select", kSkip},
      {"option", kSkip},
      {"button", kSkip},
      {"textarea", kSkip},
      {"canvas", kSkip},
      {"video", kSkip},
      {"audio", kSkip},
      {"map", kSkip},
      {"head", kSkip},
      {"label", kSkip},
      {"dialog", kSkip | kBlock},
      {"nav", kBoiler | kBlock},
      {"footer", kBoiler | kBlock},
      {"aside", kBoiler | kBlock},
      {"menu", kBoiler | kBlock},
      {"header", kBoiler | kBlock},
      {"figure", kFigure | kBlock},
      {"figcaption", kFigure | kBlock},
      {"article", kBlock},
      {"main", kBlock},
      {"section", kBlock},
      {"div", kBlock},
      {"p", kBlock},
      {"blockquote", kBlock},
      {"pre", kBlock},
      {"li", kBlock | kListItem},
      {"ul", kBlock},
      {"ol", kBlock},
      {"dl", kBlock},
      {"dd", kBlock},
      {"dt", kBlock},
      {"table", kBlock},
      {"tbody", kBlock},
      {"thead", kBlock},
      {"tr", kBlock},
      {"td", kBlock},
      {"th", kBlock},
      {"caption", kBlock},
      {"center", kBlock},
      {"address", kBlock},
      {"details", kBlock},
      {"summary", kBlock},
      {"fieldset", kBlock},
      {"form", kBlock},
      {"body", kBlock},
      {"hr", kBlock},
      {"br", kBlock},
      {"h1", kBlock | kHeading | kH1},
      {"h2", kBlock | kHeading},
      {"h3", kBlock | kHeading},
      {"h4", kBlock | kHeading},
      {"h5", kBlock | kHeading},
      {"h6", kBlock | kHeading},
      {"a", kLink},
      {"title", kTitle},
  };
  return *table;
}

// TagTable()'s flags for a tag name, through buckets by first letter and length built from it:
// there is a look-up per element, and the node-based map paid a hash of the name, a division
// and a comparison for each.
uint16_t TagFlags(const char* name) {
  struct Entry {
    const char* name;  // NUL-terminated (the table's keys are literals)
    uint16_t flags;
  };
  static constexpr size_t kMaxLength = 15;  // every key is a-z... of at most this length
  auto bucket = [](char first, size_t length) {
    return static_cast<size_t>(first - 'a') * (kMaxLength + 1) + length;
  };
  static const auto* buckets = [&bucket] {
    auto* b = new std::array<std::vector<Entry>, 26 * (kMaxLength + 1)>;
    for (const auto& [n, f] : TagTable()) (*b)[bucket(n[0], n.size())].push_back({n.data(), f});
    return b;
  }();
  if (name[0] < 'a' || name[0] > 'z') return 0;
  const size_t length = std::strlen(name);
  if (length > kMaxLength) return 0;
  for (const Entry& e : (*buckets)[bucket(name[0], length)]) {
    if (std::memcmp(e.name, name, length) == 0) return e.flags;
  }
  return 0;
}

// The meta keys (lower case) Build() asks for, by what it takes from them, in its order of
// preference. Meta() keeps no others, and the pre-parse scan removes the content of meta tags
// under any other key.
constexpr std::string_view kTitleMetaKeys[] = {"og:title", "twitter:title"};
constexpr std::string_view kDescriptionMetaKeys[] = {"og:description", "description",
                                                     "twitter:description"};
constexpr std::string_view kBylineMetaKeys[] = {"author", "byl", "dc.creator", "sailthru.author",
                                                "article:author"};
constexpr std::string_view kDateMetaKeys[] = {
    "article:published_time", "og:article:published_time", "datepublished", "pubdate",
    "publishdate", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "date"};

// A meta tag's key whose content the collector keeps ("" is none: Meta() skips it).
bool IsReadMetaKey(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  const std::string lower = AsciiLower(key);
  for (const auto& keys : {std::span<const std::string_view>(kTitleMetaKeys),
                           std::span<const std::string_view>(kDescriptionMetaKeys),
                           std::span<const std::string_view>(kBylineMetaKeys),
                           std::span<const std::string_view>(kDateMetaKeys)}) {
    if (std::find(keys.begin(), keys.end(), lower) != keys.end()) return true;
  }
  return false;
}

// Class/id words that mark page furniture. Matched against whole words of the attribute
// (split at anything but letters and digits), or as prefixes where marked with '*'.
constexpr std::string_view kNegativeWords[] = {
    "nav",          "navbar",        "navigation", "menu",           "footer",   "sidebar",
    "rail",         "related*",      "recommend*", "recirc*",        "promo*",   "advert*",
    "ad",           "ads",           "adslot",     "adunit",         "sponsor*", "newsletter*",
    "subscribe*",   "subscription*", "signup",     "cookie*",        "consent*", "gdpr",
    "share*",       "sharing",       "social*",    "comment*",       "disqus",   "caption*",
    "credit*",      "breadcrumb*",   "tags",       "taglist",        "byline*",  "author*",
    "popup",        "modal",         "overlay",    "outbrain",       "taboola",  "trending",
    "popular",      "mostread",      "widget*",    "toolbar",        "skip",     "sronly",
    "visually",     "teaser*",       "gallery",    "meta",           "header",   "masthead",
    "banner",       "dateline",      "timestamp",  "print",          "topics",   "readmore",
    "more-stories", "cta",           "donate",     "paywall-prompt", "video*",   "player",
    "audio",        "podcast*",      "toc",        "twitter*",       "tweet",    "instagram*",
    "tiktok*"};
constexpr std::string_view kPositiveSubstrings[] = {
    "article-body",     "articlebody",  "article__body", "article_body",    "story-body",
    "storybody",        "post-content", "entry-content", "article-content", "articlecontent",
    "article__content", "body-text",    "article-text",  "story-content",   "storycontent",
    "post-body",        "main-content", "rich-text",     "body-copy",       "article-main"};

bool IsNegativeWord(std::string_view w) {
  struct Words {
    std::unordered_set<std::string_view> exact;
    std::vector<std::string_view> prefixes;
  };
  static const Words* words = [] {
    auto* w = new Words;
    for (auto n : kNegativeWords) {
      if (n.back() == '*') {
        w->prefixes.push_back(n.substr(0, n.size() - 1));
      } else {
        w->exact.insert(n);
      }
    }
    return w;
  }();
  if (w.size() < 2 || w.size() > 40) return false;
  if (words->exact.count(w)) return true;
  for (auto p : words->prefixes) {
    if (w.size() >= p.size() && w[0] == p[0] && w.substr(0, p.size()) == p) return true;
  }
  return false;
}

// Length of `s` with every whitespace run counted as one byte: the size the block will have
// once normalised, without paying for normalisation of blocks that are never output.
double CollapsedLength(std::string_view s) {
  double n = 0;
  bool space = true;
  for (const char c : s) {
    const bool sp = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!sp) {
      n += 1;
    } else if (!space) {
      n += 1;
    }
    space = sp;
  }
  return n;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// What one class or id value says: kPositive (article body), kBoiler (a furniture word),
// kFigure (caption or credit; the caller lets it override kBoiler).
uint16_t ComputeNameFlags(std::string_view value) {
  const std::string v = AsciiLower(value);
  uint16_t flags = 0;
  for (auto p : kPositiveSubstrings) {
    if (v.find(p) != std::string::npos) flags |= kPositive;
  }
  // Words of the attribute: split on anything not a letter or digit, but keep "-" joined
  // words too ("more-stories").
  size_t k = 0;
  while (k < v.size()) {
    while (k < v.size() && !IsAsciiAlnum(v[k])) ++k;
    size_t e = k;
    while (e < v.size() && IsAsciiAlnum(v[e])) ++e;
    if (e > k && IsNegativeWord(std::string_view(v).substr(k, e - k))) flags |= kBoiler;
    k = e;
  }
  // Captions and credits, also inside camel-cased names ("imageEmbedCaption").
  if (v.find("caption") != std::string::npos || v.find("credit") != std::string::npos) {
    flags |= kFigure;
  }
  return flags;
}

// ComputeNameFlags() through a per-thread cache: a page repeats the same few hundred class
// names thousands of times, and a publisher's pages share them. An open-addressing table of
// (hash, flags, place of the name in one byte arena), power-of-two sized and at most half
// full: a look-up is one hash, a short probe run and one comparison, where a node-based map
// took a division and two dependent loads per attribute. It starts small and doubles, so a
// page's few hundred names stay in a table of a few dozen KB that the other stages do not
// push out of the cache as easily.
class NameFlagCache {
 public:
  uint16_t Get(std::string_view value) {
    const uint64_t h = Hash64(value);
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    for (; slots_[i].len != kEmpty; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == h && s.len == value.size() &&
          std::memcmp(arena_.data() + s.offset, value.data(), value.size()) == 0) {
        return s.flags;
      }
    }
    const uint16_t flags = ComputeNameFlags(value);
    if (2 * (used_ + 1) > slots_.size()) {
      if (slots_.size() < kMaxSlots) {
        Grow();
      } else {  // bounded: pages with generated names
        slots_.assign(kFirstSlots, Slot{});
        arena_.clear();
        used_ = 0;
      }
    }
    Insert(Slot{h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(value.size()),
                flags});
    arena_.append(value);
    return flags;
  }

 private:
  static constexpr size_t kFirstSlots = 1024;  // powers of two
  static constexpr size_t kMaxSlots = 16384;   // 8,192 names of at most 512 bytes: < 5 MB
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t len = kEmpty;
    uint16_t flags = 0;
  };
  void Insert(const Slot& slot) {
    const size_t mask = slots_.size() - 1;
    size_t i = slot.hash & mask;
    while (slots_[i].len != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
    ++used_;
  }
  void Grow() {
    std::vector<Slot> old(2 * slots_.size());
    old.swap(slots_);
    used_ = 0;
    for (const Slot& s : old)
      if (s.len != kEmpty) Insert(s);
  }
  std::vector<Slot> slots_ = std::vector<Slot>(kFirstSlots);
  std::string arena_;
  size_t used_ = 0;
};

uint16_t NameFlags(std::string_view value) {
  thread_local NameFlagCache cache;
  return cache.Get(value);
}

// What one attribute adds to its element's flags, from its lower-case name and its value (""
// when it has none). kFigure there means "a caption or credit": it also clears kBoiler (see
// AttributeFlags). Zero for every attribute not named here.
uint16_t OneAttributeFlags(std::string_view name, std::string_view value) {
  if (name == "class" || name == "id") return NameFlags(value.substr(0, 512));
  if (name == "role") {
    return value == "navigation" || value == "banner" || value == "contentinfo" ||
                   value == "complementary" || value == "dialog" || value == "alertdialog" ||
                   value == "search" || value == "menu" || value == "menubar" ||
                   value == "toolbar"
               ? kBoiler
               : 0;
  }
  if (name == "itemprop") {
    uint16_t flags = value == "articleBody" ? kPositive : 0;
    if (value.find("author") != std::string_view::npos) flags |= kByline;
    return flags;
  }
  if (name == "aria-hidden") return value == "true" ? kBoiler : 0;
  if (name == "hidden") return kSkip;
  if (name == "rel") return value == "author" ? kByline : 0;
  return 0;
}

// Flags from class, id, role, itemprop and hiding attributes.
uint16_t AttributeFlags(const xmlChar** attrs) {
  uint16_t flags = 0;
  if (!attrs) return 0;
  for (size_t i = 0; attrs[i] && i < 256; i += 2) {
    const char* value = attrs[i + 1] ? reinterpret_cast<const char*>(attrs[i + 1]) : "";
    const uint16_t v = OneAttributeFlags(reinterpret_cast<const char*>(attrs[i]), value);
    flags |= v & static_cast<uint16_t>(~kFigure);
    // A caption or credit name makes the element a figure, not furniture.
    if (v & kFigure) flags = static_cast<uint16_t>((flags & ~kBoiler) | kFigure);
  }
  // A positive container named like "article-body related-wrapper" stays positive.
  if ((flags & kPositive) && (flags & kBoiler)) flags &= static_cast<uint16_t>(~kBoiler);
  return flags;
}

struct Element {
  int32_t parent;
  uint16_t flags;      // own flags
  uint16_t inherited;  // flags of this element and its ancestors (skip, boiler, figure, positive)
};

struct Block {
  int32_t element;  // the innermost block element holding the text
  uint16_t flags;   // inherited flags of that element
  uint32_t link_chars;
  std::string text;  // raw text (entities decoded by libxml2; whitespace not yet collapsed)
};

struct OpenElement {
  int32_t element;  // -1 when not tracked (limits)
  uint16_t flags;
  uint16_t inherited;
  int32_t block;  // innermost block element id
};

class Collector {
 public:
  explicit Collector(const HtmlLimits& limits) : limits_(limits) {
    stack_.reserve(64);
    elements_.reserve(4096);
    blocks_.reserve(1024);
    elements_.push_back({-1, kBlock, 0});
    stack_.push_back({0, kBlock, 0, 0});
  }

  void Start(const char* name, const xmlChar** attrs) {
    uint16_t flags = TagFlags(name);
    const OpenElement& top = stack_.back();
    if (flags & kBlock) Flush();
    if (std::strcmp(name, "br") == 0) return;  // a line break: only a block boundary
    flags |= AttributeFlags(attrs);
    if (std::strcmp(name, "meta") == 0) Meta(attrs);
    if (std::strcmp(name, "script") == 0 && attrs) {
      for (size_t i = 0; attrs[i] && i < 64; i += 2) {
        if (std::strcmp(reinterpret_cast<const char*>(attrs[i]), "type") == 0 && attrs[i + 1] &&
            std::strcmp(reinterpret_cast<const char*>(attrs[i + 1]), "application/ld+json") == 0) {
          flags |= kJsonLd;
          json_ld_.emplace_back();
        }
      }
    }
    // Whether a boilerplate-named block really is furniture is decided after the parse, from
    // its size and link density (a layout wrapper "page-with-sidebar" may hold the article);
    // small inline furniture (credits, share labels) is dropped right away.
    if (!(flags & kBlock) && (flags & (kBoiler | kFigure))) flags |= kSkip;
    uint16_t inherited = static_cast<uint16_t>(
        top.inherited |
        (flags & (kSkip | kPositive | kHeading | kLink | kJsonLd | kTitle | kH1 | kByline)));
    if (stack_.size() >= limits_.max_depth || elements_.size() >= limits_.max_elements) {
      // Past the limits the element is not tracked: its text flows into the open block.
      truncated_ = true;
      stack_.push_back({-1, flags, inherited, top.block});
      return;
    }
    const auto id = static_cast<int32_t>(elements_.size());
    const int32_t parent = top.element >= 0 ? top.element : top.block;
    elements_.push_back({parent, flags, inherited});
    stack_.push_back({id, flags, inherited, (flags & kBlock) ? id : top.block});
  }

  void End(const char* name) {
    if (std::strcmp(name, "br") == 0) return;
    if (stack_.size() <= 1) return;
    const OpenElement& top = stack_.back();
    if (top.flags & kBlock) Flush();
    if (top.flags & kH1) {
      if (h1_.empty() && !(top.inherited & kSkip)) h1_ = NormalizeText(h1_buf_, false);
      h1_buf_.clear();
    }
    stack_.pop_back();
  }

  void Text(const char* s, int len) {
    const OpenElement& top = stack_.back();
    const std::string_view text(s, static_cast<size_t>(len));
    if (top.inherited & kJsonLd) {
      if (!json_ld_.empty() && json_ld_.back().size() < (4u << 20)) json_ld_.back().append(text);
      return;
    }
    if (top.inherited & kTitle) {
      if (title_.size() < 2048) title_.append(text);
      return;
    }
    if (top.inherited & kSkip) return;
    if ((top.inherited & kH1) && h1_.empty() && h1_buf_.size() < 2048) h1_buf_.append(text);
    if ((top.inherited & kByline) && byline_dom_.size() < 256) {
      byline_dom_.append(text);
      byline_dom_.push_back(' ');
    }
    if (top.inherited & kLink) link_chars_ += static_cast<uint32_t>(len);
    buf_.append(text);
  }

  void Finish() { Flush(); }

  Extracted Build();

  // Meta tags: name/property -> content, first value wins.
  void Meta(const xmlChar** attrs) {
    if (!attrs) return;
    std::string_view key, content;
    for (size_t i = 0; attrs[i] && i < 64; i += 2) {
      const char* n = reinterpret_cast<const char*>(attrs[i]);
      const char* v = attrs[i + 1] ? reinterpret_cast<const char*>(attrs[i + 1]) : "";
      if (std::strcmp(n, "name") == 0 || std::strcmp(n, "property") == 0 ||
          std::strcmp(n, "itemprop") == 0) {
        key = v;
      } else if (std::strcmp(n, "content") == 0) {
        content = v;
      }
    }
    if (content.empty() || !IsReadMetaKey(key)) return;
    meta_.emplace(AsciiLower(key), std::string(content.substr(0, 4096)));
  }

  // `key` must be one of the k*MetaKeys lists.
  const std::string& MetaValue(std::string_view key) const {
    static const std::string kEmpty;
    const auto it = meta_.find(std::string(key));
    return it == meta_.end() ? kEmpty : it->second;
  }

  bool truncated() const { return truncated_; }

 private:
  void Flush() {
    if (buf_.find_first_not_of(" \t\r\n") == std::string::npos) {
      buf_.clear();
      link_chars_ = 0;
      return;
    }
    const OpenElement& top = stack_.back();
    const int32_t block = top.block;
    blocks_.push_back({block, top.inherited, link_chars_, std::move(buf_)});
    buf_.clear();
    link_chars_ = 0;
  }

  struct JsonLdArticle {
    std::string headline, description, date, author, body;
  };
  void ParseJsonLd(JsonLdArticle* article);

  HtmlLimits limits_;
  std::vector<Element> elements_;
  std::vector<OpenElement> stack_;
  std::vector<Block> blocks_;
  std::string buf_;
  uint32_t link_chars_ = 0;
  std::string title_, h1_, h1_buf_, byline_dom_;
  std::vector<std::string> json_ld_;
  std::unordered_map<std::string, std::string> meta_;
  bool truncated_ = false;
};

bool IsArticleType(std::string_view t) {
  return t.find("Article") != std::string_view::npos || t == "BlogPosting" || t == "Report" ||
         t == "LiveBlogPosting";
}

void AuthorNames(simdjson::dom::element e, std::string* out, int depth) {
  if (depth > 4) return;
  std::string_view s;
  if (e.is_string()) {
    if (!e.get_string().get(s) && !s.empty() && s.substr(0, 4) != "http") {
      if (!out->empty()) out->append(", ");
      out->append(s.substr(0, 128));
    }
  } else if (e.is_array()) {
    int n = 0;
    for (auto x : e.get_array()) {
      if (++n > 8) break;
      AuthorNames(x, out, depth + 1);
    }
  } else if (e.is_object()) {
    simdjson::dom::element name;
    if (!e["name"].get(name)) AuthorNames(name, out, depth + 1);
  }
}

void FindArticle(simdjson::dom::element e, int depth, simdjson::dom::element* found, bool* ok) {
  if (*ok || depth > 6) return;
  if (e.is_array()) {
    for (auto x : e.get_array()) FindArticle(x, depth + 1, found, ok);
    return;
  }
  if (!e.is_object()) return;
  simdjson::dom::element type;
  if (!e["@type"].get(type)) {
    std::string_view t;
    if (type.is_string() && !type.get_string().get(t) && IsArticleType(t)) {
      *found = e;
      *ok = true;
      return;
    }
    if (type.is_array()) {
      for (auto x : type.get_array()) {
        if (x.is_string() && !x.get_string().get(t) && IsArticleType(t)) {
          *found = e;
          *ok = true;
          return;
        }
      }
    }
  }
  simdjson::dom::element graph;
  if (!e["@graph"].get(graph)) FindArticle(graph, depth + 1, found, ok);
}

void Collector::ParseJsonLd(JsonLdArticle* article) {
  simdjson::dom::parser parser;
  for (const auto& raw : json_ld_) {
    if (raw.empty()) continue;
    simdjson::dom::element doc;
    if (parser.parse(raw).get(doc)) continue;
    simdjson::dom::element a;
    bool ok = false;
    FindArticle(doc, 0, &a, &ok);
    if (!ok) continue;
    auto get = [&a](const char* key, std::string* out) {
      std::string_view s;
      if (out->empty() && !a[key].get_string().get(s)) out->assign(s);
    };
    get("headline", &article->headline);
    get("description", &article->description);
    get("datePublished", &article->date);
    get("articleBody", &article->body);
    simdjson::dom::element author;
    if (article->author.empty() && !a["author"].get(author)) {
      AuthorNames(author, &article->author, 0);
    }
  }
}

std::string CleanTitleTag(std::string_view title) {
  // "Headline | Site" / "Headline - Site": keep the longest part.
  std::string t = NormalizeText(title, false);
  static constexpr std::string_view kSeps[] = {
      " | ", " - ", " \xE2\x80\x93 ", " \xE2\x80\x94 ", " :: ", " \xC2\xBB "};
  for (auto sep : kSeps) {
    const size_t p = t.rfind(sep);
    if (p != std::string::npos && p > 0) {
      std::string head = t.substr(0, p), tail = t.substr(p + sep.size());
      t = head.size() >= tail.size() ? head : tail;
    }
  }
  return t;
}

Extracted Collector::Build() {
  Extracted out;
  out.truncated = truncated_;
  JsonLdArticle ld;
  ParseJsonLd(&ld);

  // ---- metadata ----
  std::string og;
  for (const auto key : kTitleMetaKeys) {
    if (og.empty()) og = NormalizeText(MetaValue(key), false);
  }
  const std::string headline = NormalizeText(ld.headline, false);
  if (!h1_.empty() && h1_.size() <= 400 &&
      ((og.empty() && headline.empty()) || SameTitle(h1_, og) || SameTitle(h1_, headline))) {
    out.title = h1_;
  } else if (!og.empty()) {
    out.title = CleanTitleTag(og);
  } else if (!headline.empty()) {
    out.title = headline;
  } else if (!h1_.empty() && h1_.size() <= 400) {
    out.title = h1_;
  } else {
    out.title = CleanTitleTag(title_);
  }
  for (const auto key : kDescriptionMetaKeys) {
    if (out.description.empty()) out.description = NormalizeText(MetaValue(key), false);
  }
  if (out.description.empty()) out.description = NormalizeText(ld.description, false);
  out.byline = NormalizeText(ld.author, false);
  if (out.byline.empty()) {
    for (const auto key : kBylineMetaKeys) {
      const std::string& v = MetaValue(key);
      if (out.byline.empty() && !v.empty() && v.substr(0, 4) != "http") {
        out.byline = NormalizeText(v, false);
      }
    }
  }
  if (out.byline.empty() && !byline_dom_.empty()) {
    std::string b = NormalizeText(byline_dom_, false);
    if (b.size() <= 120) out.byline = b;
  }
  if (out.byline.substr(0, 3) == "By " || out.byline.substr(0, 3) == "by ") {
    out.byline.erase(0, 3);
  }
  out.published_at = ld.date;
  for (const auto key : kDateMetaKeys) {
    if (out.published_at.empty()) out.published_at = MetaValue(key);
  }

  // ---- main content ----
  const size_t ne = elements_.size();
  // Text and link characters per subtree, then the effective furniture flags: a block named or
  // tagged as furniture is furniture when it is small against the page or mostly links.
  std::vector<double> chars(ne, 0.0), links(ne, 0.0);
  for (const Block& blk : blocks_) {
    if (blk.flags & kSkip) continue;
    chars[static_cast<size_t>(blk.element)] += static_cast<double>(blk.text.size());
    links[static_cast<size_t>(blk.element)] += blk.link_chars;
  }
  for (size_t e = ne; e-- > 1;) {
    const auto p = static_cast<size_t>(elements_[e].parent);
    chars[p] += chars[e];
    links[p] += links[e];
  }
  std::vector<uint16_t> furniture(ne, 0);
  for (size_t e = 1; e < ne; ++e) {
    uint16_t f = furniture[static_cast<size_t>(elements_[e].parent)];
    const uint16_t own = elements_[e].flags;
    if (own & kFigure) f |= kFigure;
    // libxml2's HTML 4 parser ignores an end tag that would close an open <div>, so a <nav>
    // or <header> may swallow the rest of the page: one holding most of the page's prose is
    // not furniture.
    const bool holds_prose = chars[e] - links[e] > 0.5 * (chars[0] - links[0]);
    if ((own & kBoiler) && !holds_prose &&
        (chars[e] < 0.3 * chars[0] || links[e] > 0.35 * chars[e])) {
      f |= kBoiler;
    }
    furniture[e] = f;
  }
  for (Block& blk : blocks_) blk.flags |= furniture[static_cast<size_t>(blk.element)];
  std::vector<double> score(ne, 0.0);
  std::vector<double> density(blocks_.size(), 0.0);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& blk = blocks_[b];
    const double raw = static_cast<double>(blk.text.size());
    density[b] = raw > 0 ? blk.link_chars / raw : 0;
    if (blk.flags & kSkip) continue;
    const double len = CollapsedLength(blk.text);
    double s;
    if (blk.flags & (kBoiler | kFigure)) {
      s = -0.5 * len;
    } else if (density[b] >= 0.5) {
      s = -0.5 * len;
    } else if (len < 25) {
      s = 0;
    } else {
      s = len * (1.0 - density[b]);
    }
    score[static_cast<size_t>(blk.element)] += s;
  }
  // Subtree sums: children always come after their parent.
  for (size_t e = ne; e-- > 1;) {
    const int32_t p = elements_[e].parent;
    if (p >= 0) score[static_cast<size_t>(p)] += score[e];
  }
  size_t best = 0;
  double best_score = -1;
  for (size_t e = 0; e < ne; ++e) {
    if ((elements_[e].inherited & kSkip) || (furniture[e] & (kBoiler | kFigure))) continue;
    double s = score[e];
    if (elements_[e].flags & kPositive) s *= 1.15;
    if (s > best_score) {
      best_score = s;
      best = e;
    }
  }
  auto inside = [&](int32_t e) {
    int guard = 0;
    while (e >= 0 && guard++ < 100000) {
      if (static_cast<size_t>(e) == best) return true;
      if (static_cast<size_t>(e) < best) return false;  // ancestors have smaller ids
      e = elements_[static_cast<size_t>(e)].parent;
    }
    return false;
  };
  // The paragraphs kept so far, viewed in place: reserved up front, so that none moves.
  std::unordered_set<std::string_view> seen;
  out.paragraphs.reserve(blocks_.size());
  size_t body_chars = 0;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const Block& blk = blocks_[b];
    if (blk.flags & (kSkip | kBoiler | kFigure | kH1)) continue;
    if (!inside(blk.element)) continue;
    if (density[b] >= 0.65) continue;  // mostly links, whatever its size: not normalised
    std::string t = NormalizeText(blk.text, false);
    if (t.empty()) continue;
    const bool heading = (elements_[static_cast<size_t>(blk.element)].inherited & kHeading) != 0;
    if (density[b] >= 0.5 && t.size() <= 200) continue;
    if (out.paragraphs.size() >= 3 && IsTailMarker(t)) break;
    if (IsUiLine(t) || IsPromptParagraph(t) || IsCookieNotice(t)) continue;
    if (AtMostWords(t, 12) && HasTrailingCredit(t)) continue;  // a stray photo credit
    if (heading && t.size() > 200) continue;
    // Short lines are labels and furniture, except as items of a list in the article.
    const bool list_item = (elements_[static_cast<size_t>(blk.element)].flags & kListItem) != 0;
    if (!heading && !list_item && AtMostWords(t, 2) && t.back() != '.') continue;
    if (t.size() <= out.title.size() + 2 && SameTitle(t, out.title)) continue;  // size first: cheap
    if (seen.count(t)) continue;
    body_chars += t.size();
    out.paragraphs.push_back(std::move(t));
    seen.insert(out.paragraphs.back());
  }
  // JSON-LD articleBody when the page structure gave little (script-rendered pages).
  const std::string ld_body = NormalizeText(ld.body, true);
  if (ld_body.size() > 80 && body_chars * 2 < ld_body.size()) {
    out.paragraphs.clear();
    size_t start = 0;
    while (start < ld_body.size()) {
      size_t end = ld_body.find('\n', start);
      if (end == std::string::npos) end = ld_body.size();
      if (end > start) out.paragraphs.push_back(ld_body.substr(start, end - start));
      start = end + 1;
    }
  }
  // Drop trailing headings with nothing under them ("Related", "More on this story").
  while (!out.paragraphs.empty() && AtMostWords(out.paragraphs.back(), 6) &&
         out.paragraphs.back().back() != '.') {
    out.paragraphs.pop_back();
  }
  if (!out.paragraphs.empty()) {
    out.dateline = SplitDateline(&out.paragraphs.front());
    if (out.paragraphs.front().empty()) out.paragraphs.erase(out.paragraphs.begin());
    StripTrailingCredit(&out.paragraphs.back());
  }
  return out;
}

// Byte classes of the pre-parse scan, one table look-up per byte of every tag and value.
enum ByteClass : uint8_t {
  kNameByte = 1,     // [A-Za-z0-9:._-]
  kLiteralByte = 2,  // printable ASCII but '&', tab, LF: handed over by the parser as it is
};
constexpr std::array<uint8_t, 256> kByteClasses = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
        c == '-' || c == '_' || c == '.') {
      t[c] |= kNameByte;
    }
    if ((c >= 0x20 && c < 0x7F && c != '&') || c == '\t' || c == '\n') t[c] |= kLiteralByte;
  }
  return t;
}();

bool IsNameChar(char c) { return kByteClasses[static_cast<unsigned char>(c)] & kNameByte; }

bool EqualsIgnoreCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[k]) return false;
  }
  return true;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// The first character of an element or attribute name for libxml2's HTML parser.
bool IsNameStart(char c) { return IsAsciiLetter(c) || c == '_' || c == ':' || c == '.'; }

// The first "</" followed by a letter at or after `from`, npos if none. The raw text of a
// <script> or <style> is only removed when this is its own plain end tag: the parser's
// recovery (it reads on past other end tags in most places, but not all) is left alone.
size_t FindRawTextEnd(std::string_view html, size_t from) {
  while (from < html.size()) {
    const void* p = std::memchr(html.data() + from, '<', html.size() - from);
    if (!p) return std::string_view::npos;
    const size_t i = static_cast<size_t>(static_cast<const char*>(p) - html.data());
    if (i + 2 < html.size() && html[i + 1] == '/' && IsAsciiLetter(html[i + 2])) return i;
    from = i + 1;
  }
  return std::string_view::npos;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Attributes the collector or the parser itself reads (meta charset), in lower case; the values
// of all others are never looked at.
constexpr std::string_view kReadAttributes[] = {
    "class", "id",      "role",     "itemprop", "aria-hidden", "hidden",    "rel",
    "name",  "content", "property", "type",     "charset",     "http-equiv"};

// The lower-case name of a read attribute, "" for an unread one. Only the names of the same
// length are compared (there is one look-up per attribute of every tag).
std::string_view ReadAttributeName(std::string_view name) {
  static constexpr size_t kLongest = [] {
    size_t longest = 0;
    for (const auto r : kReadAttributes) longest = std::max(longest, r.size());
    return longest;
  }();
  if (name.size() > kLongest) return {};
  static const auto* by_length = [] {
    auto* t = new std::array<std::vector<std::string_view>, kLongest + 1>;
    for (const auto r : kReadAttributes) (*t)[r.size()].push_back(r);
    return t;
  }();
  for (const auto r : (*by_length)[name.size()]) {
    if (EqualsIgnoreCase(name, r)) return r;
  }
  return {};
}

// Whether a read attribute matters on a given element: name, property, content, charset and
// http-equiv only on <meta> (meta tags and the parser's encoding check), type only on
// <script> (JSON-LD), itemprop on <meta> as a key; elsewhere they are read for nothing. The
// others count by the flags they add (OneAttributeFlags).
enum class AttributeUse { kKeep, kUnused, kFlags };
AttributeUse UseOf(std::string_view name, bool meta, bool script) {
  if (name == "name" || name == "property" || name == "content" || name == "charset" ||
      name == "http-equiv") {
    return meta ? AttributeUse::kKeep : AttributeUse::kUnused;
  }
  if (name == "type") return script ? AttributeUse::kKeep : AttributeUse::kUnused;
  if (name == "itemprop" && meta) return AttributeUse::kKeep;
  return AttributeUse::kFlags;
}

// A value the parser hands over byte for byte: no character reference to decode, nothing but
// printable ASCII, tabs and line feeds (no carriage return, no byte the parser could re-decode).
bool IsLiteralValue(std::string_view v) {
  for (const char c : v) {
    if (!(kByteClasses[static_cast<unsigned char>(c)] & kLiteralByte)) return false;
  }
  return true;
}

// The shortest class value saying what a class or id value says, by its flags (kPositive,
// kBoiler, kFigure): "" where none was found (then the value is kept as it is). Checked against
// ComputeNameFlags() once, so a change of the word lists cannot make them say something else.
std::string_view ClassValueFor(uint16_t flags) {
  static const auto* values = [] {
    // Indexed by 4 (positive) + 2 (furniture) + 1 (caption or credit); a value that says
    // nothing goes with its attribute.
    static constexpr std::string_view kCandidates[8] = {
        "", "xcredit", "ad", "credit", "articlebody", "articlebodycredit", "articlebody ad",
        "articlebody credit"};
    auto* v = new std::array<std::string_view, 8>{};
    for (uint16_t k = 1; k < 8; ++k) {
      const uint16_t f = static_cast<uint16_t>(((k & 4) ? kPositive : 0) |
                                               ((k & 2) ? kBoiler : 0) | ((k & 1) ? kFigure : 0));
      if (ComputeNameFlags(kCandidates[k]) == f) (*v)[k] = kCandidates[k];
    }
    return v;
  }();
  if (flags & ~(kPositive | kBoiler | kFigure)) return {};
  const size_t k = ((flags & kPositive) ? 4 : 0) | ((flags & kBoiler) ? 2 : 0) |
                   ((flags & kFigure) ? 1 : 0);
  return (*values)[k];
}

// What the parser must see of a page. News pages are mostly bytes the collector never uses: the
// contents of <script> and <style> (often over half the page), SVG path data, data-*, href and
// srcset attribute values. libxml2's HTML parser reads all of them character by character, so they
// are removed before parsing: the contents of <script> (except JSON-LD) and <style>, and the
// attributes the collector does not read, name and value (the parser would look each name up in its
// dictionary, copy each value and compare each name with the tag's other attributes), and the read
// attributes that say nothing where they are (a class or id that names nothing, a name or content
// off <meta>, ...); a class or id value that does say something is replaced by the shortest value
// saying the same. The scan follows the parser's own tokenising rules (comments, markup
// declarations, end tags, attribute names, quoted and unquoted values, "/>"), so that it only ever
// edits what the parser reads as a raw-text body or an attribute; where it cannot be sure (a NUL
// byte, an unterminated quote or comment, a name longer than the parser's 100-byte buffer) it stops
// editing. Returns `html` itself when nothing is removed, else a view of `*scratch`.
std::string_view PrepareForParse(std::string_view html, std::string* scratch) {
  scratch->clear();
  const size_t n = html.size();
  if (std::memchr(html.data(), '\0', n)) return html;  // the parser stops at NUL: keep as is
  size_t copied = 0;                                   // html[copied, ...) is still to be copied
  bool edited = false;
  auto cut = [&](size_t from, size_t to) {  // drop html[from, to)
    if (!edited) {
      scratch->reserve(n / 2);
      edited = true;
    }
    scratch->append(html.data() + copied, from - copied);
    copied = to;
  };
  auto replace = [&](size_t from, size_t to, std::string_view with) {
    cut(from, to);
    scratch->append(with);
  };
  auto skip_blanks = [&](size_t k) {
    while (k < n && IsBlank(html[k])) ++k;
    return k;
  };
  // The collector reads text inside <title> even from a <script> or <style> in it: once a
  // title is not closed by a plain "</title>" right after its text, raw text is kept.
  bool title_open = false;
  // Past a <script> or <style> whose first end tag is not its own plain one, the parser may
  // read as raw text what this scan reads as markup: read attributes are left alone from there.
  bool in_step = true;
  struct Attribute {
    size_t from, to;              // the whole attribute, name to the end of its value
    std::string_view read_name;   // lower case; "" when unread
    size_t value_from, value_to;  // the value without its quotes (empty range: none)
    bool quoted;
  };
  std::vector<Attribute> attributes;  // of the current tag
  size_t i = 0;
  while (i < n) {
    const void* p = std::memchr(html.data() + i, '<', n - i);
    if (!p) break;
    i = static_cast<size_t>(static_cast<const char*>(p) - html.data());
    if (i + 1 >= n) break;
    const char c = html[i + 1];
    if (c == '!') {
      if (html.substr(i + 2, 2) == "--") {
        // A comment ends at "-->" or, since libxml2 2.9.11, "--!>": take the earlier.
        size_t d = html.find("--", i + 4);
        while (d != std::string_view::npos && d + 2 < n && html[d + 2] != '>' &&
               !(html[d + 2] == '!' && d + 3 < n && html[d + 3] == '>')) {
          d = html.find("--", d + 1);
        }
        if (d == std::string_view::npos || d + 2 >= n) break;
        i = html[d + 2] == '>' ? d + 3 : d + 4;
      } else {
        const size_t e = html.find('>', i + 2);
        if (e == std::string_view::npos) break;
        i = e + 1;
      }
      continue;
    }
    if (c == '/' && !(i + 2 < n && IsNameStart(html[i + 2]))) {  // "</" and no name: text
      i += 2;
      continue;
    }
    if (c == '?' || c == '/') {
      const size_t e = html.find('>', i + 2);
      if (e == std::string_view::npos) break;
      i = e + 1;
      continue;
    }
    if (!IsAsciiLetter(c)) {  // "<_x", "< p": text to the parser
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < n && IsNameChar(html[e])) ++e;
    const std::string_view name = html.substr(i + 1, e - i - 1);
    if (name.size() >= 100) break;
    const bool script = EqualsIgnoreCase(name, "script");
    const bool style = !script && EqualsIgnoreCase(name, "style");
    const bool title = EqualsIgnoreCase(name, "title");
    const bool meta = EqualsIgnoreCase(name, "meta");
    bool json_ld = false;
    // Attributes, as htmlParseStartTag reads them, up to '>' or "/>". Attributes are only
    // removed in a tag made of well-formed attributes alone (name, or name=value): the parser's
    // recovery from anything else is not something to imitate.
    bool lost = false, clean = true;
    attributes.clear();
    e = skip_blanks(e);
    while (e < n && html[e] != '>' && !(html[e] == '/' && e + 1 < n && html[e + 1] == '>')) {
      const char a = html[e];
      if (IsNameStart(a)) {
        const size_t name_start = e;
        while (e < n && IsNameChar(html[e])) ++e;
        const std::string_view attr = html.substr(name_start, e - name_start);
        if (attr.size() >= 100) {
          lost = true;
          break;
        }
        e = skip_blanks(e);
        size_t value_from = e, value_to = e;
        bool quoted = false;
        if (e < n && html[e] == '=') {
          e = skip_blanks(e + 1);
          if (e < n && (html[e] == '"' || html[e] == '\'')) {
            const size_t close = html.find(html[e], e + 1);
            if (close == std::string_view::npos) {
              lost = true;
              break;
            }
            if (script && EqualsIgnoreCase(attr, "type") &&
                html.substr(e + 1, close - e - 1).find("ld+json") != std::string_view::npos) {
              json_ld = true;
            }
            value_from = e + 1;
            value_to = close;
            quoted = true;
            e = close + 1;
          } else {
            const size_t value = e;
            while (e < n && !IsBlank(html[e]) && html[e] != '>') ++e;
            if (script && EqualsIgnoreCase(attr, "type") &&
                html.substr(value, e - value).find("ld+json") != std::string_view::npos) {
              json_ld = true;
            }
            value_from = value;
            value_to = e;
          }
        }
        attributes.push_back(
            {name_start, e, ReadAttributeName(attr), value_from, value_to, quoted});
      } else {
        // Not an attribute name: the parser drops it up to a blank or the end of the tag.
        clean = false;
        while (e < n && !IsBlank(html[e]) && html[e] != '>' &&
               !(html[e] == '/' && e + 1 < n && html[e + 1] == '>')) {
          ++e;
        }
      }
      e = skip_blanks(e);
    }
    if (lost || e >= n) break;
    if (clean) {
      // Read attributes that cannot change what the collector makes of this element go too,
      // and a class or id value that says something is handed over as its shortest equivalent
      // (class values are over a third of what is left of a page). Not in a tag that repeats a
      // read attribute: the parser keeps the first, and removing it would bring in the next.
      // (Without repeats at most 13 attributes are left, within the collector's loop limits.)
      bool repeated = false;
      for (size_t a = 0; a < attributes.size(); ++a) {
        if (attributes[a].read_name.empty()) continue;
        for (size_t b = 0; b < a; ++b) {
          repeated = repeated || attributes[b].read_name == attributes[a].read_name;
        }
      }
      // A meta tag's content that neither the collector keeps (its key, the last name,
      // property or itemprop, is not asked for) nor the parser reads (no http-equiv) goes too,
      // and with it the name and property that only ever served as its key.
      bool meta_content_unused = false;
      if (meta) {
        bool http_equiv = false, key_literal = true;
        std::string_view key;
        for (const Attribute& a : attributes) {
          if (a.read_name == "http-equiv") http_equiv = true;
          if (a.read_name == "name" || a.read_name == "property" || a.read_name == "itemprop") {
            key = html.substr(a.value_from, a.value_to - a.value_from);
            key_literal = IsLiteralValue(key);
          }
        }
        meta_content_unused = !http_equiv && key_literal && !IsReadMetaKey(key);
      }
      for (const Attribute& a : attributes) {
        if (a.read_name.empty()) {
          cut(a.from, a.to);
          continue;
        }
        if (repeated || !in_step) continue;
        const AttributeUse use = UseOf(a.read_name, meta, script);
        if (use == AttributeUse::kUnused ||
            (meta_content_unused && (a.read_name == "content" || a.read_name == "name" ||
                                     a.read_name == "property"))) {
          cut(a.from, a.to);
          continue;
        }
        const std::string_view value = html.substr(a.value_from, a.value_to - a.value_from);
        if (script && a.read_name == "type") {
          // Only JSON-LD's type is looked for (Collector::Start).
          if (IsLiteralValue(value) && value != "application/ld+json") cut(a.from, a.to);
          continue;
        }
        if (use != AttributeUse::kFlags) continue;
        if (!IsLiteralValue(value)) continue;
        const uint16_t flags = OneAttributeFlags(a.read_name, value);
        if (flags == 0) {
          cut(a.from, a.to);
        } else if (a.quoted && (a.read_name == "class" || a.read_name == "id")) {
          const std::string_view shorter = ClassValueFor(flags);
          if (!shorter.empty() && shorter.size() < value.size()) {
            replace(a.value_from, a.value_to, shorter);
          }
        }
      }
    }
    if (html[e] == '/') {  // "<x ... />": an empty element
      i = e + 2;
      continue;
    }
    const size_t content = e + 1;
    i = content;
    if (title) {
      // A title of plain text up to a plain "</title>" is closed there; otherwise where the
      // parser closes it (an end tag may be ignored while an inner element is open) is not
      // followed, and no raw text is removed after it.
      const size_t close = html.find('<', content);
      size_t name_end = close == std::string_view::npos ? n : close + 2;
      while (name_end < n && IsNameChar(html[name_end])) ++name_end;
      const bool plain = close != std::string_view::npos && html[close + 1] == '/' &&
                         EqualsIgnoreCase(html.substr(close + 2, name_end - close - 2), "title") &&
                         name_end < n && (html[name_end] == '>' || IsBlank(html[name_end]));
      if (!plain) title_open = true;
    }
    if (!(script || style)) continue;
    const size_t end = FindRawTextEnd(html, content);
    if (end == std::string_view::npos) break;
    // Only a plain "</script>" or "</style >" as the first end tag closes it for sure.
    size_t name_end = end + 2;
    while (name_end < n && IsNameChar(html[name_end])) ++name_end;
    const bool plain_end =
        EqualsIgnoreCase(html.substr(end + 2, name_end - end - 2), script ? "script" : "style") &&
        name_end < n && (html[name_end] == '>' || IsBlank(html[name_end]));
    if (!plain_end) {
      // Left as it is; the parser (recovering) reads on to the first "</script" or "</style".
      const std::string_view tag_name = script ? "script" : "style";
      size_t k = end;
      while (k != std::string_view::npos &&
             !EqualsIgnoreCase(html.substr(k + 2, tag_name.size()), tag_name)) {
        k = html.find("</", k + 2);
      }
      if (k == std::string_view::npos) break;
      in_step = false;
      i = k + 2;
      continue;
    }
    if (clean && !json_ld && !title_open && end > content) cut(content, end);
    i = end;
  }
  if (!edited) return html;
  scratch->append(html.data() + copied, n - copied);
  return *scratch;
}

extern "C" {
void OnStart(void* ctx, const xmlChar* name, const xmlChar** attrs) {
  auto* pctx = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<Collector*>(pctx->_private)->Start(reinterpret_cast<const char*>(name), attrs);
}
void OnEnd(void* ctx, const xmlChar* name) {
  auto* pctx = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<Collector*>(pctx->_private)->End(reinterpret_cast<const char*>(name));
}
void OnText(void* ctx, const xmlChar* s, int len) {
  auto* pctx = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<Collector*>(pctx->_private)->Text(reinterpret_cast<const char*>(s), len);
}
void OnSilent(void*, const char*, ...) {}
}

}  // namespace

void ExtractHtml(std::string_view html, const HtmlLimits& limits, Extracted* out) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  Collector collector(limits);
  if (html.size() > static_cast<size_t>(INT32_MAX)) html = html.substr(0, INT32_MAX);
  thread_local std::string stripped;  // per worker thread, reused across pages
  html = PrepareForParse(html, &stripped);
  htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(html.data(), static_cast<int>(html.size()));
  if (ctxt) {
    htmlSAXHandler sax;
    std::memset(&sax, 0, sizeof(sax));
    sax.startElement = OnStart;
    sax.endElement = OnEnd;
    sax.characters = OnText;
    sax.cdataBlock = OnText;
    sax.error = OnSilent;
    sax.warning = OnSilent;
    std::memcpy(ctxt->sax, &sax, sizeof(sax));
    ctxt->_private = &collector;
    ctxt->userData = ctxt;  // callbacks receive the context; the collector hangs off it
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
    // The record codec guarantees UTF-8; a page's own <meta charset> must not re-decode it.
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    htmlParseDocument(ctxt);
    htmlFreeParserCtxt(ctxt);
  }
  collector.Finish();
  *out = collector.Build();
}

}  // namespace newsflow::clean
