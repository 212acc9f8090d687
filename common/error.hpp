// Run-time failures: one line, "PROGRAM: step: reason", exit status 1.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace socklab {

/// A socket step that failed: `step` names it ("bind 0.0.0.0:8001"),
/// `reason` says why ("Address already in use").
class StepError : public std::runtime_error {
 public:
  StepError(std::string step, std::string reason);
  const std::string& step() const { return step_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string step_;
  std::string reason_;
};

/// Throws StepError(step, ec.message()) when ec is set.
void check(const std::error_code& ec, std::string step);

/// "tcp-server: bind 0.0.0.0:8001: Address already in use".
std::string format_error(std::string_view program, std::string_view step, std::string_view reason);

/// Prints the one-line message for `e` to stderr and returns 1, the exit
/// status of a run-time failure.
int report_failure(std::string_view program, const std::exception& e);

}  // namespace socklab
