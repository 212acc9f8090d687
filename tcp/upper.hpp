// The course's upper-casing server logic, with no I/O: ASCII letters become
// upper case (common/ascii.hpp), and a line that is exactly "exit" ends the
// connection.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace socklab {

/// Feeds received bytes through the course's rules. A line can arrive split
/// across reads (TCP is a byte stream, not a message stream), so the filter
/// holds back the few bytes of a line that could still turn out to be "exit".
class UpperFilter {
 public:
  /// Appends to `out` the bytes to send back for `data`. After an "exit"
  /// line, exit_seen() is true and everything after it is ignored.
  void feed(std::string_view data, std::string& out);

  /// At end of stream: the held-back bytes to send. A last line "exit"
  /// without a newline also counts as exit (and sends nothing).
  std::string finish();

  bool exit_seen() const { return exit_seen_; }

 private:
  std::string held_;       // start of the current line, while it may be "EXIT\r"
  bool candidate_ = true;  // the current line may still be "exit"
  bool exit_seen_ = false;
};

}  // namespace socklab
