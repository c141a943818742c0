// Tests of the clean stage: boilerplate kinds (HTML and text fixtures), metadata, the seeds'
// gold expectations, normalisation (entities, mojibake, NFC, spaces), bad and pathological
// input, and the config.
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "config/section.h"
#include "stages/clean/clean_stage.h"
#include "stages/clean/normalize.h"
#include "stages/clean/text_rules.h"
#include "test_util.h"

namespace newsflow {
namespace {

using testing::ReadFile;
using testing::SharedDir;
using testing::SourceDir;

struct Cleaner {
  std::unique_ptr<StageFactory> factory = MakeCleanStageFactory();
  std::unique_ptr<StageConfig> config;
  std::unique_ptr<Stage> stage;
  config::Errors errors;

  explicit Cleaner(const std::string& yaml = "{}") {
    config::Section section(YAML::Load(yaml), "stages.clean", &errors);
    config = factory->Parse(section);
    REQUIRE(config->Prepare({}).ok());
    stage = config->CreateWorker();
  }
  Outcome Run(Article& a) {
    StageContext ctx;
    return stage->Process(a, ctx);
  }
};

bool Has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::filesystem::path Fixture(const std::string& name) {
  return SourceDir() / "tests" / "testdata" / "clean" / name;
}

TEST_CASE("html boilerplate is removed and the article kept", "[unit]") {
  Cleaner c;
  Article a;
  a.input_html = ReadFile(Fixture("boilerplate.html"));
  REQUIRE_FALSE(a.input_html.empty());
  const Outcome o = c.Run(a);
  REQUIRE(o.verdict == Verdict::kContinue);
  CHECK(a.cleaned);
  // Golden output beside the input.
  CHECK(a.text == ReadFile(Fixture("boilerplate.expected.txt")));
  for (const char* junk :
       {"cookies", "Advertisement", "Share on", "Photo: John Smith", "newsletter", "Related",
        "Storm sinks", "Subscribe now", "comments", "Great news for the town", "Most read",
        "All rights reserved", "tracking", "no style text", "News\n", "By Maria Santos"}) {
    INFO(junk);
    CHECK_FALSE(Has(a.text, junk));
  }
  CHECK(a.title == "Harbour reopens after storm repairs");
  CHECK(a.dateline == "PORTO, March 5 (Reuters) \xE2\x80\x94");
  CHECK(a.byline == "Maria Santos");
  CHECK(a.description == "Fishing boats returned to the old harbour on Tuesday.");
  CHECK(a.published_at == "2024-03-05T08:30:00.000Z");
  CHECK(a.published_at_ms == 1709627400000);
  // Typographic quotes stay in text; the matching view has straight ones.
  CHECK(Has(a.text, "\xE2\x80\x9Ctemporary\xE2\x80\x9D"));
  CHECK(Has(a.match_text, "\"temporary\""));
  CHECK_FALSE(Has(a.match_text, "\xE2\x80\x9C"));
}

TEST_CASE("html: a given sensible title and published_at are kept", "[unit]") {
  Cleaner c;
  Article a;
  a.title = "Storm-hit harbour open again";
  a.published_at = "2024-03-06T00:00:00Z";
  a.published_at_ms = 1709683200000;
  a.input_html = ReadFile(Fixture("boilerplate.html"));
  REQUIRE(c.Run(a).verdict == Verdict::kContinue);
  CHECK(a.title == "Storm-hit harbour open again");
  CHECK(a.published_at == "2024-03-06T00:00:00Z");
  // A title that is the headline plus the site name gives way to the headline.
  Article b;
  b.title = "Harbour reopens after storm repairs | The Coast Times";
  b.input_html = a.input_html;
  REQUIRE(c.Run(b).verdict == Verdict::kContinue);
  CHECK(b.title == "Harbour reopens after storm repairs");
}

TEST_CASE("html: JSON-LD articleBody when the page is script-rendered", "[unit]") {
  Cleaner c;
  Article a;
  a.input_html = ReadFile(Fixture("jsonld_body.html"));
  REQUIRE(c.Run(a).verdict == Verdict::kContinue);
  CHECK(a.text ==
        "The city council voted on Thursday to build a new public library in the old market "
        "hall.\n\nConstruction is expected to start in the autumn and last about two years, "
        "the mayor said.");
  CHECK(a.title == "Council approves new library");
  CHECK(a.byline == "Ann Lee, Bo Kim");
  CHECK(a.published_at == "2024-02-01T12:00:00.000Z");
}

TEST_CASE("html: what the parser is spared does not change what it reads", "[unit]") {
  // The contents of <script> and <style> and the unread attributes are removed before
  // parsing; the tricky cases around them must read as they did.
  const std::string body =
      "<p>The harbour authority said on Monday that the old pier would reopen next spring "
      "after two years of repairs.</p>";
  Cleaner c;
  SECTION("JSON-LD with an unquoted type is still read") {
    Article a;
    a.input_html =
        "<html><head><script type=application/ld+json>{\"@type\":\"NewsArticle\","
        "\"description\":\"Pier to reopen\",\"articleBody\":\"The harbour authority said on "
        "Monday that the old pier would reopen next spring after two years of repairs and "
        "a long dispute over the cost.\"}</script></head><body><div id=app></div></body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.description == "Pier to reopen");
    CHECK(a.text.find("long dispute over the cost.") != std::string::npos);
  }
  SECTION("markup-like text inside attribute values and scripts stays where it was") {
    Article a;
    a.input_html =
        "<html><head><meta name=\"description\" content=\"Pier &amp; harbour\">"
        "<style>p > a { color: red }</style>"
        "<script>var s = '<p>Script text that must never be read as an article.</p>';</script>"
        "</head><body><article><p data-x=\"<script>\" title='a > b'>The harbour authority "
        "said on Monday that the old pier would reopen next spring.</p>"
        "<script>document.write(\"</div><p>Written by a script, not the article.</p>\")</script>"
        "<p class=\"lead\" data-y='\"'>Repairs took two years and cost more than planned, the "
        "authority said.</p></article></body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.description == "Pier & harbour");
    CHECK(a.text.find("The harbour authority said on Monday") == 0);
    CHECK(a.text.find("Repairs took two years") != std::string::npos);
    CHECK(a.text.find("Script text") == std::string::npos);
  }
  SECTION("unread attributes go whole, quoted or not; read ones stay, quoted or not") {
    Article a;
    a.input_html =
        "<html><head><title>Pier news</title><meta data-k=2 name=description "
        "content=Pier-reopens async></head><body><div data-track=7 nowrap data-x='1'><article>"
        "<p data-n=3 hidden-not>The harbour authority said on Monday that the old pier would "
        "reopen next spring after two years of repairs.</p><p>Repairs took two years and cost "
        "more than planned, the authority said on Monday.</p></article></div></body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.title == "Pier news");
    // name= and content=, unquoted between unread attributes, are still read.
    CHECK(a.description == "Pier-reopens");
    CHECK(a.text.find("The harbour authority said on Monday") == 0);
    CHECK(a.text.find("Repairs took two years") != std::string::npos);
  }
  SECTION("read attributes that say nothing go; those that say something keep their sense") {
    Article a;
    a.input_html =
        "<html><head><meta class=\"promo\" name=\"description\" content=\"Pier to reopen\">"
        "</head><body><div class=\"layout\"><div class=\"story-body related-wrap\" role=\"main\" "
        "aria-hidden=\"false\" rel=\"x\" itemprop=\"text\" name=\"n\" content=\"c\">"
        "<p>The harbour authority said on Monday that the old pier would reopen next spring "
        "after two years of repairs.</p>"
        // The parser keeps the first of two class attributes: "lead", not furniture.
        "<p class=\"lead\" class=\"nav\">Repairs took two years and cost more than planned, the "
        "authority said on Monday.</p><p id=\"more\" ID=\"sidebar\">Work on the second pier "
        "starts in the autumn, the authority added.</p>"
        // A character reference: the collector is handed "nav".
        "<p class=\"n&#97;v\">Menu entry written with a character reference, not part of the "
        "story.</p>"
        "<p><span class=\"imageCaption\">The old pier in winter. Photo by Ann Lee</span>Boats "
        "will be able to moor at the pier again from April, officials said.</p>"
        "<div role=\"navigation\"><a href=\"/a\">Home</a> <a href=\"/b\">World</a></div></div>"
        "<div class=\"sidebar\" id=\"side\"><p>Sidebar words that should never be part of the "
        "article text at all.</p></div></div></body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.description == "Pier to reopen");
    CHECK(a.text.find("The harbour authority said on Monday") == 0);
    CHECK(Has(a.text, "Repairs took two years"));
    CHECK(Has(a.text, "Work on the second pier"));
    CHECK(Has(a.text, "Boats will be able to moor"));
    for (const char* junk : {"Menu entry", "Photo by Ann Lee", "Home", "Sidebar words"}) {
      INFO(junk);
      CHECK_FALSE(Has(a.text, junk));
    }
  }
  SECTION("meta content under keys the collector does not ask for goes; the rest is read") {
    Article a;
    a.input_html =
        "<html><head><meta name=\"viewport\" content=\"width=device-width\">"
        "<meta property=\"og:image\" content=\"https://example.com/pier.jpg\">"
        // The key is handed over decoded: "description".
        "<meta name=\"d&#101;scription\" content=\"Pier to reopen\">"
        "<meta NAME=\"AUTHOR\" content=\"Ann Lee\"></head><body>" +
        body + "</body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.description == "Pier to reopen");
    CHECK(a.byline == "Ann Lee");
  }
  SECTION("after a script not closed by its first end tag, read attributes stay") {
    // The parser ends the script's raw text at "</scriptx" but does not close the script, so
    // the tag after it is script text (here title text), attribute and all.
    Article a;
    a.input_html =
        "<html><head><title><script>Pier news</scriptx> <b class=\"lead\">today</b></script>"
        "</title></head><body>" +
        body + "</body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    CHECK(a.title == "Pier news <b class=\"lead\">today</b>");
  }
  SECTION("a <title> left open keeps what follows it") {
    Article a;
    a.input_html = "<html><head><title>Pier news<div></title><script>x</script></head><body>" +
                   body + "</body></html>";
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    // The parser ignores "</title>" while the <div> is open, so the script's text is title
    // text (as it always was: removing raw text must not change it).
    CHECK(a.title == "Pier newsx");
  }
}

TEST_CASE("text rules ignore ASCII case and find keywords anywhere in the line", "[unit]") {
  CHECK(clean::IsCookieNotice("We use COOKIES to improve your experience. ACCEPT"));
  CHECK(clean::IsCookieNotice("Diese Website verwendet Cookies. Datenschutz"));
  // Keywords in mixed case, at the very start and end, and with non-ASCII first bytes.
  CHECK(clean::IsCookieNotice("CoOkIe settings"));
  CHECK(clean::IsCookieNotice("Accept all cOOKIE"));
  CHECK(clean::IsCookieNotice("Bu sitede \xC3\x87"
                              "EREZ kullan\xC4\xB1l\xC4\xB1r, kabul"));
  CHECK(clean::IsCookieNotice("\xD0\xBA\xD1\x83\xD0\xBA\xD0\xB8"));  // куки
  CHECK_FALSE(clean::IsCookieNotice("cOOKI"));
  // Only ASCII letters are folded: "КУКИ" is not "куки".
  CHECK_FALSE(clean::IsCookieNotice("\xD0\x9A\xD0\xA3\xD0\x9A\xD0\x98"));
  CHECK_FALSE(
      clean::IsCookieNotice("The bakery sold cookies, cakes and bread at the market "
                            "on the main square for many years before it closed"));
  CHECK(clean::IsPromptParagraph("SIGN UP FOR our weekly briefing"));
  CHECK(clean::IsPromptParagraph("\xC2\xA9 2024 Example Media"));
  CHECK_FALSE(clean::IsPromptParagraph("The council signed the contract on Monday."));
  CHECK(clean::HasTrailingCredit("Fishermen in the harbour. (PHOTO: Jane Doe)"));
  CHECK(clean::HasTrailingCredit("Fishermen in the harbour. Getty Images"));
  CHECK(clean::HasTrailingCredit("Fishermen in the harbour. \xE2\x80\x94 AFP"));
  CHECK_FALSE(clean::HasTrailingCredit("Fishermen returned to the harbour on Monday."));
  std::string line = "  The pier will reopen in spring. \xE2\x80\x94 Agencies ";
  CHECK(clean::StripTrailingCredit(&line));
  CHECK(line == "The pier will reopen in spring.");
  CHECK(clean::IsUiLine("Related Stories:"));
  CHECK(clean::IsUiLine("\xC3\x97"));
  CHECK_FALSE(clean::IsUiLine("The pier will reopen in spring after two years of repairs."));
}

TEST_CASE("word limits agree with the word count", "[unit]") {
  for (const std::string s :
       {"", " ", "one", " one ", "one two", "one  two\tthree\n", "\n\none two three four five ",
        "a b c d e f g h i j k l m n", "caf\xC3\xA9 \xE2\x80\x94 bar"}) {
    for (int n = 0; n <= 15; ++n) {
      INFO(s << " / " << n);
      CHECK(clean::AtMostWords(s, n) == (clean::CountWords(s) <= n));
    }
  }
}

TEST_CASE("plain text boilerplate lines are removed", "[unit]") {
  Cleaner c;
  Article a;
  a.input_text = ReadFile(Fixture("boilerplate.txt"));
  REQUIRE(c.Run(a).verdict == Verdict::kContinue);
  CHECK(a.title == "Bakery chain expands to the north");
  CHECK(a.description == "The company will open twelve new shops this year");
  CHECK(a.dateline == "MILAN \xE2\x80\x93");
  CHECK(a.text ==
        "The bakery chain said on Monday it would open twelve new shops in northern Italy this "
        "year, creating about 300 jobs.\n\nSales rose by eight percent last year, the company "
        "said, helped by higher prices and strong demand for its seasonal cakes.\n\nThe chief "
        "executive said the expansion would be paid for from the company's own funds.");
}

TEST_CASE("seeds: every clean, title and dateline expectation of gold.json holds", "[unit]") {
  const auto dir = SharedDir() / "seeds";
  simdjson::dom::parser parser;
  simdjson::dom::element gold;
  REQUIRE_FALSE(parser.load((dir / "gold.json").string()).get(gold));
  Cleaner c;
  int checked = 0;
  for (auto art : gold["articles"].get_array()) {
    const std::string file(std::string_view(art["file"].get_string().value()));
    INFO(file);
    Article a;
    a.input_text = ReadFile(dir / file);
    REQUIRE(c.Run(a).verdict == Verdict::kContinue);
    simdjson::dom::object clean;
    if (!art["clean"].get_object().get(clean)) {
      for (auto s : clean["must_contain"].get_array()) {
        const std::string v(std::string_view(s.get_string().value()));
        INFO("must contain: " << v);
        CHECK(Has(a.text, v));
        ++checked;
      }
      for (auto s : clean["must_not_contain"].get_array()) {
        const std::string v(std::string_view(s.get_string().value()));
        INFO("must not contain: " << v);
        CHECK_FALSE(Has(a.text, v));
        ++checked;
      }
    }
    std::string_view title;
    if (!art["title"].get_string().get(title)) {
      CHECK(a.title == title);
      ++checked;
    }
    simdjson::dom::object dl;
    if (!art["dateline"].get_object().get(dl)) {
      for (const char* key : {"place", "date", "agency"}) {
        std::string_view v;
        if (dl[key].get_string().get(v)) continue;
        INFO("dateline " << a.dateline << " has " << v);
        CHECK(Has(clean::AsciiLower(a.dateline), clean::AsciiLower(v)));
        ++checked;
      }
    }
  }
  CHECK(checked >= 20);
}

TEST_CASE("entities are decoded", "[unit]") {
  CHECK(clean::DecodeEntities("AT&amp;T &lt;b&gt; &#8217; &#x2014; &eacute; &bogus; & x") ==
        "AT&T <b> \xE2\x80\x99 \xE2\x80\x94 \xC3\xA9 &bogus; & x");
  // Numeric references into 0x80..0x9F are CP1252 (&#146; is a right single quote).
  CHECK(clean::DecodeEntities("it&#146;s") == "it\xE2\x80\x99s");
  CHECK(clean::DecodeEntities("&#0; &#99999999;") == "&#0; &#99999999;");
}

TEST_CASE("mojibake of UTF-8 read as CP1252 or Latin-1 is repaired", "[unit]") {
  CHECK(clean::RepairMojibake("caf\xC3\x83\xC2\xA9") == "caf\xC3\xA9");  // cafÃ©
  CHECK(clean::RepairMojibake("it\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s") ==  // itâ€™s
        "it\xE2\x80\x99s");
  CHECK(clean::RepairMojibake("\xC3\xA2\xE2\x82\xAC\xC5\x93quoted\xC3\xA2\xE2\x82\xAC\xC2\x9D") ==
        "\xE2\x80\x9Cquoted\xE2\x80\x9D");
  // Clean text with Latin-1 letters is left alone.
  CHECK(clean::RepairMojibake("Ã  la carte, déjà vu, Åland") == "Ã  la carte, déjà vu, Åland");
}

TEST_CASE("NFC, spaces and control characters are normalised", "[unit]") {
  // e + combining acute -> é; no-break, thin and ideographic spaces -> one space;
  // zero-width space and controls removed.
  CHECK(clean::NormalizeText("Cafe\xCC\x81 \xC2\xA0 au\xE2\x80\x89lait\xE2\x80\x8B\x01\x7F.",
                             false) == "Caf\xC3\xA9 au lait.");
  CHECK(clean::NormalizeText("  a\r\n\r\nb \t c  ", true) == "a\n\nb c");
  CHECK(clean::ToNfc("plain ascii") == "plain ascii");
  CHECK(clean::MatchView("\xE2\x80\x9CHi\xE2\x80\x9D \xE2\x80\x98x\xE2\x80\x99 a\xE2\x80\x93"
                         "b\xE2\x80\x94"
                         "c\xE2\x80\x90"
                         "d\xE2\x80\xA6") == "\"Hi\" 'x' a-b-c-d...");
}

TEST_CASE("text path: whitespace, blank-line runs and mojibake in the output", "[unit]") {
  Cleaner c;
  Article a;
  a.input_text =
      "First paragraph with caf\xC3\x83\xC2\xA9 and  double  spaces.\n\n\n\n\nSecond "
      "paragraph &amp; an entity.\xC2\xA0\n";
  REQUIRE(c.Run(a).verdict == Verdict::kContinue);
  CHECK(a.text ==
        "First paragraph with caf\xC3\xA9 and double spaces.\n\nSecond paragraph & "
        "an entity.");
}

TEST_CASE("datelines", "[unit]") {
  auto split = [](std::string p) {
    std::string d = clean::SplitDateline(&p);
    return std::make_pair(d, p);
  };
  CHECK(split("SEOUL, Jan. 26 (AP) \xE2\x80\x94 North Korea said Friday it would.") ==
        std::make_pair(std::string("SEOUL, Jan. 26 (AP) \xE2\x80\x94"),
                       std::string("North Korea said Friday it would.")));
  CHECK(split("SEOUL: North Korea and China agreed to it.").first == "SEOUL:");
  CHECK(split("WASHINGTON (Reuters) - The Senate voted on the bill today.").first ==
        "WASHINGTON (Reuters) -");
  CHECK(split("Seoul (AFP) - The North fired a missile on Sunday.").first == "Seoul (AFP) -");
  // Not datelines.
  CHECK(split("BREAKING NEWS TODAY FROM HERE: the market fell sharply.").first.empty());
  CHECK(split("The US said: we will act soon on this.").first.empty());
  CHECK(split("NASA launched a rocket on Monday.").first.empty());
}

TEST_CASE("invalid UTF-8 is repaired or dead-lettered as configured", "[unit]") {
  Article a;
  a.input_text = "Good text here \xFF\xFE and more good text.";
  Cleaner repair;
  REQUIRE(repair.Run(a).verdict == Verdict::kContinue);
  CHECK(Has(a.text, "\xEF\xBF\xBD"));
  Cleaner fail("{invalid_utf8: fail}");
  Article b;
  b.input_text = "Good text here \xFF\xFE and more good text.";
  const Outcome o = fail.Run(b);
  CHECK(o.verdict == Verdict::kFail);
  CHECK(o.reason == "invalid_utf8");
}

TEST_CASE("nothing left after cleaning: fail or continue as configured", "[unit]") {
  Article a;
  a.input_html = "<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>";
  Cleaner c;
  const Outcome o = c.Run(a);
  CHECK(o.verdict == Verdict::kFail);
  CHECK(o.reason == "empty_after_cleaning");
  Cleaner keep("{on_empty: continue}");
  Article b;
  b.input_html = a.input_html;
  CHECK(keep.Run(b).verdict == Verdict::kContinue);
  CHECK(b.cleaned);
  CHECK(b.text.empty());
}

TEST_CASE("too large input is dead-lettered", "[unit]") {
  Cleaner c("{max_input_bytes: 1024}");
  Article a;
  a.input_text = std::string(2000, 'a');
  const Outcome o = c.Run(a);
  CHECK(o.verdict == Verdict::kFail);
  CHECK(o.reason == "input_too_large");
}

TEST_CASE("pathological html finishes: deep nesting, no body, 10 MB page", "[unit]") {
  Cleaner c("{on_empty: continue, max_input_bytes: 20000000}");
  const auto start = std::chrono::steady_clock::now();
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "<div><span>";
  deep += "<p>Deep paragraph that is long enough to be the article text.</p>";
  Article a;
  a.input_html = deep;
  CHECK(c.Run(a).verdict == Verdict::kContinue);
  CHECK(Has(a.text, "Deep paragraph"));

  Article b;
  b.input_html = "<html><head><title>Only a head</title></head></html>";
  CHECK(c.Run(b).verdict == Verdict::kContinue);
  CHECK(b.text.empty());

  std::string big = "<html><body>";
  while (big.size() < 10 * 1024 * 1024) {
    big +=
        "<div class='item'><p>Paragraph of a very long page with words, commas, and more "
        "words.</p><a href='/x'>link</a></div>";
  }
  big += "</body></html>";
  Article d;
  d.input_html = big;
  CHECK(c.Run(d).verdict == Verdict::kContinue);
  CHECK(d.cleaned);
  // Not a speed assertion: a guard against runaway (quadratic) behaviour only.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::minutes(2));
}

TEST_CASE("config errors are collected with paths", "[unit]") {
  Cleaner c("{max_depth: 3, invalid_utf8: maybe, colour: red}");
  REQUIRE(c.errors.list().size() == 3);
  CHECK(Has(c.errors.Joined(), "stages.clean.max_depth"));
  CHECK(Has(c.errors.Joined(), "stages.clean.invalid_utf8"));
  CHECK(Has(c.errors.Joined(), "stages.clean.colour"));
}

TEST_CASE("declared reasons", "[unit]") {
  auto f = MakeCleanStageFactory();
  CHECK(f->Name() == "clean");
  const auto r = f->Reasons();
  for (const char* reason :
       {"input_too_large", "invalid_utf8", "empty_after_cleaning", "internal_error"}) {
    CHECK(std::find(r.begin(), r.end(), reason) != r.end());
  }
}

}  // namespace
}  // namespace newsflow
