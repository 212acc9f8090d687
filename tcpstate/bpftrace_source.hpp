// The bpftrace source: the kernel's own record of every TCP state change
// (the sock:inet_sock_set_state tracepoint), printed by a bpftrace program
// that tcpstate runs as root, one line per change, and parsed here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/child_process.hpp"
#include "capture/state.hpp"
#include "common/result.hpp"

namespace socklab {

/// One transition reported by the kernel's sock:inet_sock_set_state
/// tracepoint (through tcpstate's bpftrace program).
struct KernelTransition {
  std::uint64_t nanoseconds = 0;  ///< CLOCK_MONOTONIC (bpftrace's nsecs): see monotonic_seconds()
  std::uint64_t socket = 0;       ///< the kernel's struct sock address: one socket's identity
  std::string local;
  std::string remote;
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  TcpState from = TcpState::closed;
  TcpState to = TcpState::closed;
  bool operator==(const KernelTransition&) const = default;
};

/// Now, in seconds, on the clock of KernelTransition::nanoseconds.
double monotonic_seconds();

/// The bpftrace program that prints one line per transition, in the form
/// parse_bpftrace_line reads: "T NSEC SKADDR SADDR SPORT DADDR DPORT OLD NEW",
/// after one line "READY" once the probe is attached.
/// The tracepoint fires for the sockets of every network namespace, while ss,
/// netstat and /proc show only ours: with `netns_inode` (the inode number of
/// /proc/self/ns/net; 0 for none) it keeps only the sockets of that namespace.
/// Reading a socket's namespace needs the kernel's BTF (/sys/kernel/btf/vmlinux).
std::string bpftrace_program(std::uint64_t netns_inode = 0);

/// Parses one line of bpftrace_program()'s output; nothing for the other
/// lines bpftrace prints ("Attaching 1 probe...", warnings). TCP_CLOSE
/// becomes CLOSED; the kernel's TCP_NEW_SYN_RECV becomes SYN_RCVD.
std::optional<KernelTransition> parse_bpftrace_line(std::string_view line);

/// A running bpftrace that prints the kernel's state changes.
class BpftraceSource {
 public:
  /// Starts bpftrace and waits (at most `timeout_s`) until its probe is
  /// attached. Fails with a message naming `others` (the sources to use
  /// instead: "--source ss, --source proc") when bpftrace is missing, the
  /// user is not root, or the tracepoint is not visible.
  static Result<std::unique_ptr<BpftraceSource>> start(const std::string& others, double timeout_s = 30);
  /// Stops bpftrace with SIGINT, on which it detaches its probe.
  ~BpftraceSource();

  /// Every transition printed since the last call (never blocks).
  std::vector<KernelTransition> drain();

  /// Waits until bpftrace has printed nothing for `quiet_s` (at most
  /// `max_s` in all), so that the next drain() holds every event up to now:
  /// bpftrace lags behind the kernel when the machine is busy.
  void settle(double quiet_s, double max_s);

 private:
  explicit BpftraceSource(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace socklab
