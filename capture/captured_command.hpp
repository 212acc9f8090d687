// "Run this command in a private network namespace, captured from its first
// packet, and tell me when it ends": what `tcpstate ladder -- COMMAND` and a
// grader both need. The namespace is this process's own, for good (so the
// peers the caller starts, and its own sockets, meet the command on the same
// lo, where the course's hard-coded 127.0.0.1 ports are free): a program that
// wants several runs forks one child per run.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/pcap_source.hpp"
#include "common/result.hpp"
#include "common/trace.hpp"

namespace socklab {

/// A command in a private network namespace, and the capture of its lo.
class CapturedCommand {
 public:
  /// Step 1: moves this process into a network namespace of its own (only
  /// lo, up); step 2: opens the capture on its lo, keeping what the BPF
  /// `filter` accepts. Traces [1] unshare, [2] capture, [3] filter. Nothing
  /// runs yet: save the capture (capture().write_to) now if wanted, then
  /// start().
  static Result<std::unique_ptr<CapturedCommand>> open(const std::string& filter, const Tracer& tracer);

  /// Starts `command` (looked up in PATH, sharing our stdin, stdout and
  /// stderr); this process adopts what it leaves running. The reason if it
  /// cannot start ("/bin/nope: No such file or directory").
  Result<void> start(const std::vector<std::string>& command);

  /// Ends the command (SIGTERM) and what it left running, if not done yet.
  ~CapturedCommand();
  CapturedCommand(const CapturedCommand&) = delete;
  CapturedCommand& operator=(const CapturedCommand&) = delete;

  /// The next packet, as PcapSource::next: waits at most `timeout_ms`.
  /// `end` once the command has ended and the capture has been quiet for
  /// `timeout_ms` since, so its last segments are read first.
  PcapSource::Next next(CaptureRecord& record, int timeout_ms);

  /// The capture itself: its link type, write_to, dropped, error.
  PcapSource& capture() { return *capture_; }

  /// The status a shell would give, once the command ended by itself
  /// (exit code, or 128 + the signal); nothing while it runs or after stop().
  std::optional<int> exit_status() const { return exit_status_; }

  /// Ends the command now: SIGTERM, then what it left running.
  void stop();

 private:
  explicit CapturedCommand(std::unique_ptr<PcapSource> capture) : capture_(std::move(capture)) {}
  // Notices the command's end (without waiting) and ends its leftovers.
  void reap();

  std::unique_ptr<PcapSource> capture_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

/// Traces a live capture's set-up (steps 2 and 3: the packet socket on
/// `interface`, then `filter`).
void trace_live_capture(const Tracer& tracer, const std::string& interface, const std::string& filter);

}  // namespace socklab
