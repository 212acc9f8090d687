#include "tcp/upper.hpp"

#include "common/ascii.hpp"

namespace socklab {
namespace {

constexpr std::string_view exit_line = "EXIT\r";  // "\r" for clients that send CRLF

bool is_exit(std::string_view line) { return line == "EXIT" || line == exit_line; }

}  // namespace

void UpperFilter::feed(std::string_view data, std::string& out) {
  for (char c : data) {
    if (exit_seen_) return;
    const char u = upper_ascii(c);
    if (!candidate_) {
      out += u;
      candidate_ = (c == '\n');
      continue;
    }
    if (c == '\n') {
      if (is_exit(held_)) {
        exit_seen_ = true;
        held_.clear();
        return;
      }
      out += held_;
      out += '\n';
      held_.clear();
      continue;
    }
    held_ += u;
    if (!exit_line.starts_with(held_)) {
      out += held_;
      held_.clear();
      candidate_ = false;
    }
  }
}

std::string UpperFilter::finish() {
  if (candidate_ && is_exit(held_)) {
    exit_seen_ = true;
    held_.clear();
  }
  return std::exchange(held_, {});
}

}  // namespace socklab
