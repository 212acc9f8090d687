// A value or the reason there is none: what library code returns instead of
// printing, so the caller decides how to show it and a test can assert it.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace socklab {

/// Holds either a T or a one-line error message.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose

  /// A failed result carrying `why` (one line, no program name).
  static Result failure(std::string why) {
    Result r;
    r.error_ = std::move(why);
    return r;
  }

  explicit operator bool() const { return value_.has_value(); }
  bool ok() const { return value_.has_value(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  Result() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace socklab
