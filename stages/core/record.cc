#include "stages/core/record.h"

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "common/utf8.h"

namespace newsflow {
namespace {

bool StartsLikeHtml(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\n' || v[i] == '\r' || v[i] == '\t')) ++i;
  // A UTF-8 byte order mark may come first.
  if (v.substr(i, 3) == "\xEF\xBB\xBF") i += 3;
  return i < v.size() && v[i] == '<';
}

}  // namespace

std::string DeriveId(const Article& a) {
  if (!a.url.empty()) return "url:" + Hash128Hex(a.url);
  std::string content = a.title;
  content.push_back('\n');
  content.append(a.input_html.empty() ? a.input_text : a.input_html);
  return "content:" + Hash128Hex(content);
}

bool RecordParser::Parse(std::string_view value, std::string_view key, Article* out,
                         ParseError* error) {
  out->Clear();
  if (static_cast<int64_t>(value.size()) > options_.max_record_bytes) {
    *error = {"too_large", std::to_string(value.size()) + " bytes exceeds input.max_record_bytes " +
                               std::to_string(options_.max_record_bytes)};
    return false;
  }
  if (!IsValidUtf8(value)) {
    if (!options_.repair_utf8) {
      *error = {"invalid_utf8", "the record is not valid UTF-8"};
      return false;
    }
    repaired_ = RepairUtf8(value);
    value = repaired_;
  }
  if (!IsValidUtf8(key)) key = {};
  return options_.raw ? ParseRaw(value, key, out, error) : ParseJson(value, out, error);
}

bool RecordParser::ParseRaw(std::string_view value, std::string_view key, Article* out,
                            ParseError* error) {
  bool html = options_.raw_body == "html" ||
              (options_.raw_body == "auto" && StartsLikeHtml(value));
  (html ? out->input_html : out->input_text).assign(value);
  if (value.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    *error = {"no_body", "the record value is empty"};
    return false;
  }
  out->id.assign(key);
  if (out->id.empty()) out->id = DeriveId(*out);
  return true;
}

bool RecordParser::ParseJson(std::string_view value, Article* out, ParseError* error) {
  padded_ = simdjson::padded_string(value);
  simdjson::dom::element doc;
  auto err = parser_.parse(padded_).get(doc);
  if (err) {
    *error = {err == simdjson::UTF8_ERROR ? "invalid_utf8" : "not_json",
              simdjson::error_message(err)};
    return false;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    *error = {"not_object", "the record is JSON but not an object"};
    return false;
  }
  std::string meta;
  bool has_meta = false;
  bool has_id = false;
  for (auto field : obj) {
    const std::string_view k = field.key;
    std::string* target = nullptr;
    if (k == "id") {
      target = &out->id;
      has_id = true;
    } else if (k == "url") {
      target = &out->url;
    } else if (k == "source") {
      target = &out->source;
    } else if (k == "published_at") {
      target = &out->published_at;
    } else if (k == "title") {
      target = &out->title;
    } else if (k == "html") {
      target = &out->input_html;
    } else if (k == "text") {
      target = &out->input_text;
    }
    if (target) {
      if (field.value.is_null()) continue;
      std::string_view s;
      if (field.value.get_string().get(s)) {
        if (k == "id" && (field.value.is_int64() || field.value.is_uint64())) {
          // Numeric ids are common in crawler output; keep their decimal form.
          *target = simdjson::minify(field.value);
          continue;
        }
        *error = {"bad_field", "field \"" + std::string(k) + "\" must be a string"};
        return false;
      }
      target->assign(s);
      continue;
    }
    if (!has_meta) {
      meta.push_back('{');
      has_meta = true;
    } else {
      meta.push_back(',');
    }
    AppendJsonString(&meta, k);
    meta.push_back(':');
    meta.append(simdjson::minify(field.value));
  }
  if (has_meta) {
    meta.push_back('}');
    out->meta_json = std::move(meta);
  }
  auto blank = [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (blank(out->input_html) && blank(out->input_text)) {
    *error = {"no_body", "neither \"html\" nor \"text\" has content"};
    return false;
  }
  if (!out->published_at.empty()) {
    auto ms = ParseRfc3339(out->published_at);
    if (!ms) {
      *error = {"bad_published_at", "published_at \"" + out->published_at.substr(0, 64) +
                                        "\" is not an RFC 3339 timestamp"};
      return false;
    }
    out->published_at_ms = *ms;
  }
  if (has_id && blank(out->id)) {
    *error = {"no_id", "field \"id\" is empty"};
    return false;
  }
  if (!has_id) out->id = DeriveId(*out);
  return true;
}

namespace {
void StringOrNull(JsonWriter& w, std::string_view key, const std::string& v) {
  w.Key(key);
  if (v.empty()) {
    w.Null();
  } else {
    w.String(v);
  }
}
}  // namespace

void WriteOutputRecord(const Article& a, const PipelineInfo& info, int64_t processed_at_ms,
                       std::string* out) {
  out->clear();
  JsonWriter w(out);
  w.BeginObject();
  w.Field("schema_version", static_cast<int64_t>(kSchemaVersion));
  w.Field("id", a.id);
  StringOrNull(w, "url", a.url);
  StringOrNull(w, "source", a.source);
  StringOrNull(w, "published_at", a.published_at);
  StringOrNull(w, "title", a.title);
  if (a.cleaned) {
    w.Field("text", a.text);
    if (!a.dateline.empty()) w.Field("dateline", a.dateline);
    if (!a.byline.empty()) w.Field("byline", a.byline);
    if (!a.description.empty()) w.Field("description", a.description);
  }
  if (a.language) {
    const auto& l = *a.language;
    w.Key("language");
    w.BeginObject();
    w.Field("code", l.code);
    w.Field("confidence", l.confidence);
    w.Field("reliable", l.reliable);
    w.Key("others");
    w.BeginArray();
    for (const auto& o : l.others) {
      w.BeginObject();
      w.Field("code", o.code);
      w.Field("share", o.share);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (a.dedup) {
    const auto& d = *a.dedup;
    w.Key("dedup");
    w.BeginObject();
    w.Field("status", DedupStatusName(d.status));
    w.Key("of");
    if (d.of.empty()) {
      w.Null();
    } else {
      w.String(d.of);
    }
    w.Field("similarity", d.similarity);
    w.Field("containment", d.containment);
    w.Key("matches");
    w.BeginArray();
    for (const auto& m : d.matches) {
      w.BeginObject();
      w.Field("id", m.id);
      w.Field("status", DedupStatusName(m.status));
      w.Field("similarity", m.similarity);
      w.Field("containment", m.containment);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (a.entities) {
    w.Key("entities");
    w.BeginArray();
    for (const auto& e : *a.entities) {
      w.BeginObject();
      w.Field("id", e.id);
      w.Field("name", e.name);
      w.Field("type", e.type);
      w.Field("count", static_cast<int64_t>(e.mentions.size()));
      w.Key("mentions");
      w.BeginArray();
      for (const auto& m : e.mentions) {
        w.BeginObject();
        w.Field("text", m.text);
        w.Field("start", static_cast<int64_t>(m.start));
        w.Field("end", static_cast<int64_t>(m.end));
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }
  if (!a.meta_json.empty()) {
    w.Key("meta");
    w.Raw(a.meta_json);
  }
  w.Key("pipeline");
  w.BeginObject();
  w.Field("version", info.version);
  w.Field("processed_at", FormatRfc3339Millis(processed_at_ms));
  w.Key("stages");
  w.BeginArray();
  for (const auto& [name, version] : info.stages) {
    w.BeginObject();
    w.Field("name", name);
    w.Field("version", version);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

}  // namespace newsflow
