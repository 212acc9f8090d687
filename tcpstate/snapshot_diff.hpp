// The snapshot diff: two polls of a socket table -> the transitions between
// them. A poll only sees what is there at that instant, so a state that came
// and went between two polls is never seen: the diff reports what it can.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tcpstate/socket_table.hpp"

namespace socklab {

/// One observed change of one socket.
struct Transition {
  double time = 0;  ///< seconds, on the caller's clock
  std::string local;
  std::string remote;
  std::optional<TcpState> from;           ///< nothing: a new socket ("(new)")
  std::optional<TcpState> to;             ///< nothing: the socket is gone ("(gone)")
  std::optional<double> seconds_in_from;  ///< known when we saw it enter `from`
  bool initial = false;                   ///< already there when watching began
  bool queues_only = false;               ///< same state; Recv-Q/Send-Q changed
  std::uint64_t recv_q = 0;
  std::uint64_t send_q = 0;
  std::string source;  ///< which source saw it ("ss", "bpftrace", ...)
  bool operator==(const Transition&) const = default;
};

/// Remembers the last snapshot and reports what changed in the next one.
class SnapshotDiff {
 public:
  /// The socket as last seen, and since when it has been in its state
  /// (nothing when it was already so in the first snapshot).
  struct Entry {
    SocketRow row;
    std::optional<double> since;
  };

  /// Compares `rows` (taken at `now`) with the previous snapshot: new
  /// sockets, changed states, changed queues (when `queues` is on), vanished
  /// sockets. The first call reports every socket as new with `initial` set.
  std::vector<Transition> update(const std::vector<SocketRow>& rows, double now, bool queues = true);

  /// The sockets of the last snapshot, by key ("LOCAL REMOTE").
  const std::map<std::string, Entry>& current() const { return sockets_; }

  /// The key of a socket: its two endpoints.
  static std::string key(const std::string& local, const std::string& remote) { return local + " " + remote; }

 private:
  std::map<std::string, Entry> sockets_;
  bool first_ = true;
};

/// "12.345  127.0.0.1:40000 127.0.0.1:8001  ESTABLISHED -> FIN_WAIT_2  (1.502 s in ESTABLISHED)"
/// with `clock` as the time column.
std::string format_transition(const Transition& t, const std::string& clock);

/// The transition as one line of JSON (keys time, local, remote, from, to,
/// seconds_in_from, initial, queues_only, recv_q, send_q, source); "(new)"
/// and "(gone)" are null, seconds are to the microsecond.
std::string transition_json(const Transition& t);

}  // namespace socklab
