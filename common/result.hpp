// A value or the reason there is none: what library code returns instead of
// printing, so the caller decides how to show it and a test can assert it.
// This is the project's one idiom for "a value or a reason" (std::expected
// would do, but clang 14's fuzz build cannot compile libstdc++'s <expected>).
// Result<void> is the result of a step that yields nothing but can fail.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace socklab {

/// The reason a step failed: one line, no program name. Converts to any
/// Result, so `return Failure{"name too long"};` works in every function.
struct Failure {
  std::string why;
};

/// Holds either a T or a one-line error message.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor): a value is a success
  Result(Failure failure) : error_(std::move(failure.why)) {}  // NOLINT(google-explicit-constructor)

  /// A failed result carrying `why` (one line, no program name).
  static Result failure(std::string why) { return Result(Failure{std::move(why)}); }

  explicit operator bool() const { return value_.has_value(); }
  bool ok() const { return value_.has_value(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

/// A step that yields nothing: success, or the reason it failed.
template <>
class Result<void> {
 public:
  Result() = default;  // success: `return {};`
  // NOLINTNEXTLINE(google-explicit-constructor): a failure converts, as above
  Result(Failure failure) : failed_(true), error_(std::move(failure.why)) {}

  static Result failure(std::string why) { return Result(Failure{std::move(why)}); }

  explicit operator bool() const { return !failed_; }
  bool ok() const { return !failed_; }
  const std::string& error() const { return error_; }

 private:
  bool failed_ = false;
  std::string error_;
};

}  // namespace socklab
