// The watch machinery: a source (ss, netstat, /proc, or bpftrace merged
// with /proc for TIME_WAIT), polled or drained, through the snapshot diff,
// into transitions. `tcpstate watch` prints them; the demo checks them.
#pragma once

#include <sys/types.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "tcpstate/snapshot_diff.hpp"
#include "tcpstate/socket_table.hpp"

namespace socklab {

/// Where socket states come from.
enum class SourceKind { ss, netstat, proc, bpftrace };

/// "ss", "netstat", "proc", "bpftrace".
std::string_view source_name(SourceKind kind);

/// Runs argv (found on PATH, no shell) and returns its stdout; a one-line
/// error when it cannot start or exits non-zero.
Result<std::string> run_command(const std::vector<std::string>& argv);

/// One poll of a poll source: `ss -tan` (`-tano` with timers), `netstat
/// -tanW` (-W: addresses not cut short), or /proc/net/tcp + tcp6.
Result<std::vector<SocketRow>> poll_source(SourceKind kind, bool timers = false);

/// A running bpftrace that prints the kernel's state changes.
class BpftraceProcess {
 public:
  /// Starts bpftrace and waits (at most `timeout_s`) until its probe is
  /// attached. Fails with a message naming the alternatives when bpftrace
  /// is missing, the user is not root, or the tracepoint is not visible.
  static Result<std::unique_ptr<BpftraceProcess>> start(double timeout_s = 30);
  ~BpftraceProcess();
  BpftraceProcess(const BpftraceProcess&) = delete;
  BpftraceProcess& operator=(const BpftraceProcess&) = delete;

  /// Every transition printed since the last call (never blocks).
  std::vector<KernelTransition> drain();

  /// Waits until bpftrace has printed nothing for `quiet_s` (at most
  /// `max_s` in all), so that the next drain() holds every event up to now:
  /// bpftrace lags behind the kernel when the machine is busy.
  void settle(double quiet_s, double max_s);

 private:
  BpftraceProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
  pid_t pid_;
  int out_fd_;
  std::string partial_;
};

/// The message for a source that cannot be used, naming the others.
std::string source_alternatives(SourceKind failed);

/// Watches the sockets a filter selects; call poll() every interval.
class Watcher {
 public:
  /// Opens `kind` (starting bpftrace if asked) and checks one poll works.
  static Result<std::unique_ptr<Watcher>> open(SourceKind kind, SocketFilter filter, bool timers = false);

  /// Takes one snapshot (and, with bpftrace, every kernel event since the
  /// last call) and returns the transitions of the filtered sockets. Times
  /// are seconds since the watcher was opened.
  Result<std::vector<Transition>> poll();

  /// Before the last poll(): lets a lagging bpftrace catch up (no-op for
  /// the poll sources).
  void settle();

  /// The filtered sockets as of the last poll (for bpftrace: from /proc).
  const std::map<std::string, SnapshotDiff::Entry>& current() const { return diff_.current(); }

  /// Seconds since the watcher was opened.
  double now() const;

  SourceKind kind() const { return kind_; }

 private:
  Watcher(SourceKind kind, SocketFilter filter, bool timers);
  SourceKind kind_;
  SocketFilter filter_;
  bool timers_;
  double start_;  // CLOCK_MONOTONIC seconds
  SnapshotDiff diff_;
  std::unique_ptr<BpftraceProcess> bpftrace_;
  std::map<std::uint64_t, double> entered_;  // kernel socket -> when it entered its state
};

}  // namespace socklab
