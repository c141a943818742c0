// JsonWriter: appends compact JSON to a caller-owned std::string.
//
// Streaming, no DOM: the caller emits keys and values in order and the writer inserts commas.
// Strings are escaped per RFC 8259 (control characters as \u00XX); input is assumed to be valid
// UTF-8 (all text reaching the writer has been validated). Numbers that are not finite are
// written as null. Reuse one writer per worker: Reset() keeps the buffer's capacity.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace newsflow {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Double(double value, int precision = 4);
  void Bool(bool value);
  void Null();
  // Appends already-serialised JSON (e.g. a pass-through object) as one value.
  void Raw(std::string_view json);

  // Convenience: Key + value.
  void Field(std::string_view key, std::string_view value) { Key(key); String(value); }
  void Field(std::string_view key, const char* value) { Key(key); String(value); }
  void Field(std::string_view key, int64_t value) { Key(key); Int(value); }
  void Field(std::string_view key, double value) { Key(key); Double(value); }
  void Field(std::string_view key, bool value) { Key(key); Bool(value); }

 private:
  void Separate();
  std::string* out_;
  // One flag per open container: true once it holds an element (a comma is due).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace newsflow
