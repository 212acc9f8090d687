// The watch machinery: a source (ss, netstat, /proc, or bpftrace merged
// with /proc for TIME_WAIT), polled or drained, through the snapshot diff,
// into transitions. `tcpstate watch` prints them; the demo checks them.
// The programs it runs: child_process.hpp; bpftrace: bpftrace_source.hpp;
// the merge of bpftrace and /proc: transition_merge.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "tcpstate/bpftrace_source.hpp"
#include "tcpstate/snapshot_diff.hpp"
#include "tcpstate/socket_table.hpp"

namespace socklab {

/// Where socket states come from.
enum class SourceKind { ss, netstat, proc, bpftrace };

/// "ss", "netstat", "proc", "bpftrace".
std::string_view source_name(SourceKind kind);

/// One poll of a poll source: `ss -tan` (`-tano` with timers), `netstat
/// -tanW` (-W: addresses not cut short), or /proc/net/tcp + tcp6.
Result<std::vector<SocketRow>> poll_source(SourceKind kind, bool timers = false);

/// The message for a source that cannot be used, naming the others:
/// "other sources: --source netstat, --source proc".
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
  // The kernel's transitions of the filtered sockets, on our clock.
  std::vector<Transition> from_kernel(const std::vector<KernelTransition>& kernel);
  SourceKind kind_;
  SocketFilter filter_;
  bool timers_;
  double start_;  // CLOCK_MONOTONIC seconds
  SnapshotDiff diff_;
  std::unique_ptr<BpftraceSource> bpftrace_;
  std::map<std::uint64_t, double> entered_;  // kernel socket -> when it entered its state
};

}  // namespace socklab
