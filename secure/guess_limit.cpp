// secure/guess_limit: how many wrong codes a run tolerates.
#include "secure/guess_limit.hpp"

namespace socklab::secure {

bool GuessLimit::begin() {
  std::lock_guard lock(mutex_);
  if (wrong_ + in_progress_ >= allowed_) return false;
  ++in_progress_;
  return true;
}

void GuessLimit::finish(bool wrong_code) {
  std::lock_guard lock(mutex_);
  if (in_progress_ > 0) --in_progress_;
  if (wrong_code) ++wrong_;
}

bool GuessLimit::open() const {
  std::lock_guard lock(mutex_);
  return wrong_ < allowed_;
}

int GuessLimit::wrong_codes() const {
  std::lock_guard lock(mutex_);
  return wrong_;
}

std::string GuessLimit::closed_message() const {
  std::lock_guard lock(mutex_);
  return std::to_string(wrong_) +
         " wrong codes: this run's code no longer works; start recvfile again for a new code "
         "(or give it a new --code or --code-file)";
}

}  // namespace socklab::secure
