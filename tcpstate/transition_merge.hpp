// The bpftrace source sees the same sockets twice: the kernel reports every
// state change, exact in time, and a poll of /proc shows what the kernel
// does not report (TIME_WAIT, and the sockets there before we started).
// Merging the two lists is pure, so its rules are unit-tested.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tcpstate/snapshot_diff.hpp"

namespace socklab {

/// One poll's transitions of the bpftrace source, from `kernel` (the
/// kernel's, already filtered and on the watcher's clock) and `polled` (the
/// snapshot diff of /proc, taken after every kernel transition was read),
/// with `table` the snapshot `polled` came from. The rules:
/// - Every kernel transition is kept, its source "bpftrace". One from
///   FIN_WAIT_1, FIN_WAIT_2 or CLOSING to CLOSED whose socket `table` shows
///   in TIME_WAIT goes to TIME_WAIT instead: the kernel swaps a socket that
///   closed first for a small timewait socket and reports CLOSED.
/// - Of `polled`, only what the kernel does not report is kept, its source
///   "proc": the sockets already there when watching began, queue changes,
///   the end of a TIME_WAIT, and a move into TIME_WAIT that no kernel
///   transition of the same socket reports. The rest the kernel saw first
///   (or will report in a later poll: a socket new to the poll and already
///   in TIME_WAIT is one whose transitions bpftrace has not printed yet).
/// - Sorted by time; at equal times the kernel's first, each list in its order.
std::vector<Transition> merge_transitions(std::vector<Transition> kernel, std::vector<Transition> polled,
                                          const std::map<std::string, SnapshotDiff::Entry>& table);

}  // namespace socklab
