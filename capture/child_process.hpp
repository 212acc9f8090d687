// The programs socklab runs beside itself: ss or netstat once per poll
// (run_command), bpftrace for as long as a watch lasts (ChildProcess: its
// lines as they come), and a command run in a private network namespace
// (start_command, then end_leftovers for what it left running).
#pragma once

#include <sys/types.h>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace socklab {

/// Is `program` an executable in a directory of $PATH?
bool on_path(const std::string& program);

/// Runs argv (found on PATH, no shell), its stderr thrown away, and returns
/// its stdout; a one-line error when it is not installed (naming the Debian
/// package), cannot start, or exits non-zero.
Result<std::string> run_command(const std::vector<std::string>& argv);

/// A program running beside us whose stdout we read line by line. Its stderr
/// is kept in a temporary file, for the message when it ends early; the
/// kernel sends it SIGTERM if we die first.
class ChildProcess {
 public:
  /// Starts argv (found on PATH) with `environment` (NAME, VALUE) added to ours.
  static Result<std::unique_ptr<ChildProcess>> start(
      const std::vector<std::string>& argv,
      const std::vector<std::pair<std::string, std::string>>& environment = {});
  /// Stops it (stop(SIGTERM, 3 s)) unless that was done already.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  enum class Wait { line, timeout, ended };
  /// Waits at most `timeout_s` for one whole line (without its '\n'):
  /// `ended` when the child closed its stdout first.
  Wait next_line(std::string& line, double timeout_s);

  /// The whole lines it has printed since the last call; never blocks.
  std::vector<std::string> lines();

  /// Reads until the child has printed nothing for `quiet_s` (at most
  /// `max_s` in all), keeping what it read for lines().
  void wait_quiet(double quiet_s, double max_s);

  /// Everything it wrote to stderr so far.
  std::string error_text() const;

  /// Sends `signal`, waits at most `grace_s` for it to exit, then SIGKILL.
  void stop(int signal, double grace_s);

 private:
  ChildProcess(pid_t pid, int out_fd, std::FILE* err) : pid_(pid), out_fd_(out_fd), err_(err) {}
  // Appends what can be read now; false at end of file.
  bool read_some();
  pid_t pid_;
  int out_fd_;
  std::FILE* err_;
  std::string partial_;  // read, not yet split into lines
};

/// The exit status a shell gives for a child's wait status: its exit code,
/// or 128 + the signal that ended it.
int shell_status(int wait_status);

/// Starts `argv` (looked up in PATH) in a child process that shares our
/// stdin, stdout and stderr; fails with the reason (exec's included).
Result<pid_t> start_command(const std::vector<std::string>& argv);

/// Makes this process the reaper of its orphaned descendants (call before
/// start_command, so end_leftovers finds them).
void adopt_orphans();

/// Ends the processes the command left behind (say, a server started with
/// `&`): this process adopts them (it is their subreaper), so it sends each
/// of its remaining children SIGTERM, then SIGKILL after `grace_ms`, and
/// reaps them.
void end_leftovers(int grace_ms);

/// One process as /proc/PID/stat gives it: its pid, its parent's, and its
/// state letter ('R', 'S', 'Z' for a zombie...).
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = 0;
};

/// Every process /proc shows now (those that end while it is read are left out).
std::vector<ProcessEntry> process_table();

}  // namespace socklab
