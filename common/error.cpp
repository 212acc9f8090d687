#include "common/error.hpp"

#include <iostream>

namespace socklab {

StepError::StepError(std::string step, std::string reason)
    : std::runtime_error(step + ": " + reason), step_(std::move(step)), reason_(std::move(reason)) {}

void check(const std::error_code& ec, std::string step) {
  if (ec) throw StepError(std::move(step), ec.message());
}

std::string format_error(std::string_view program, std::string_view step, std::string_view reason) {
  std::string line(program);
  if (!step.empty()) {
    line += ": ";
    line += step;
  }
  line += ": ";
  line += reason;
  return line;
}

int report_failure(std::string_view program, const std::exception& e) {
  std::cout.flush();
  if (const auto* step = dynamic_cast<const StepError*>(&e)) {
    std::cerr << format_error(program, step->step(), step->reason()) << std::endl;
  } else {
    std::cerr << format_error(program, "", e.what()) << std::endl;
  }
  return 1;
}

}  // namespace socklab
