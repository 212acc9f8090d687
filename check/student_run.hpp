// The student's program running under the grader: in a network namespace of
// our own (CapturedCommand: only lo, captured from the first packet), its
// output kept aside (so it never mixes with the verdicts), its segments read
// by a thread of their own, and its whole process tree ended at the end.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capture/captured_command.hpp"
#include "capture/segment.hpp"
#include "check/proc_net_tcp.hpp"
#include "common/result.hpp"

namespace socklab {

class StudentRun {
 public:
  /// Enters the namespace and opens the capture (tcp and udp on lo).
  static Result<std::unique_ptr<StudentRun>> open();
  /// Starts `command`, its stdin /dev/null, its stdout and stderr to a file.
  Result<void> start(const std::vector<std::string>& command);
  /// Ends the program and everything it started (SIGTERM, then SIGKILL).
  ~StudentRun();
  StudentRun(const StudentRun&) = delete;
  StudentRun& operator=(const StudentRun&) = delete;

  /// Its exit status once it ended by itself (as a shell gives it); when
  /// no process of it is left running, waits (at most 1.5 s) for the status.
  std::optional<int> exit_status() const;
  /// The segments captured so far, in capture order.
  std::vector<Segment> segments() const;
  /// The last lines the program printed (stdout and stderr), at most `max` bytes.
  std::string output(std::size_t max) const;
  /// The namespace's TCP socket table now (tcp, then tcp6).
  static std::vector<TcpRow> tcp_table(bool v6);
  /// Its UDP socket table now (udp, then udp6).
  static std::vector<TcpRow> udp_table(bool v6);

  /// Ends the program now (idempotent).
  void end();

 private:
  explicit StudentRun(std::unique_ptr<CapturedCommand> command) : command_(std::move(command)) {}
  void read_capture();

  std::unique_ptr<CapturedCommand> command_;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> exit_status_{-1};
  mutable std::mutex mutex_;
  std::vector<Segment> segments_;
  int output_fd_ = -1;
  bool ended_ = false;
};

/// Ends every descendant of this process: SIGTERM, up to `grace_ms`, then
/// SIGKILL; reaps them all. (We are their subreaper: orphans come to us.)
void end_process_tree(int grace_ms);

}  // namespace socklab
