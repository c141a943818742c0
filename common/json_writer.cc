#include "common/json_writer.h"

#include <cmath>
#include <cstdio>

namespace newsflow {

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
  out->push_back('"');
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_->push_back(',');
    has_element_.back() = true;
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_->push_back('{');
  has_element_.push_back(false);
}
void JsonWriter::EndObject() {
  out_->push_back('}');
  has_element_.pop_back();
}
void JsonWriter::BeginArray() {
  Separate();
  out_->push_back('[');
  has_element_.push_back(false);
}
void JsonWriter::EndArray() {
  out_->push_back(']');
  has_element_.pop_back();
}
void JsonWriter::Key(std::string_view key) {
  Separate();
  AppendJsonString(out_, key);
  out_->push_back(':');
  after_key_ = true;
}
void JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(out_, value);
}
void JsonWriter::Int(int64_t value) {
  Separate();
  out_->append(std::to_string(value));
}
void JsonWriter::Double(double value, int precision) {
  Separate();
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.*f", precision, value);
  // Trim trailing zeros ("0.5000" -> "0.5") but keep one digit after the point.
  while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.') --n;
  out_->append(buf, static_cast<size_t>(n));
}
void JsonWriter::Bool(bool value) {
  Separate();
  out_->append(value ? "true" : "false");
}
void JsonWriter::Null() {
  Separate();
  out_->append("null");
}
void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
}

}  // namespace newsflow
