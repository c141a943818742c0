// Result<T> and Status: the one error-carrying return type of the project.
//
// A Result holds either a value or an Error (a human-readable message, plus an optional short
// machine-readable code). Both are [[nodiscard]]: an ignored error is a compile warning.
// Value type, no allocation beyond the message string, not thread-safe (like any value).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace newsflow {

struct Error {
  std::string message;
  std::string code;  // short and stable, e.g. "io", "corrupt", "invalid"; may be empty
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Error MakeError(std::string message, std::string code = "") {
  return Error{std::move(message), std::move(code)};
}

}  // namespace newsflow
