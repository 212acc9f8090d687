// The ladder's bookkeeping: segments in, one line per segment out, with the
// numbers a student reads (sequence and acknowledgment numbers relative to
// each side's initial sequence number, the window scaled by the factor the
// handshake agreed) and each side's state inferred from the segments by the
// RFC 9293 state machine. Pure: no I/O, so the unit tests feed it segments.
//
// Each line gives the states just after its segment: the sender's after
// sending it, the receiver's after receiving it (the ladder diagrams of the
// RFC and of Stevens draw them so: the SYN arrives, the server is SYN_RCVD).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "capture/segment.hpp"
#include "capture/state.hpp"

namespace socklab {

/// What a line is about; the JSON's "events" keys.
enum class LadderEvent : std::uint16_t {
  syn = 1 << 0,
  syn_ack = 1 << 1,
  handshake_complete = 1 << 2,
  fin = 1 << 3,
  rst = 1 << 4,
  rst_unread_data = 1 << 5,
  rst_not_listening = 1 << 6,
  zero_window = 1 << 7,
  window_update = 1 << 8,
  zero_window_probe = 1 << 9,
  retransmission = 1 << 10,
  dup_ack = 1 << 11,
  out_of_order = 1 << 12,
  time_wait = 1 << 13,
};

/// Every event, in the order the JSON lists them.
inline constexpr LadderEvent all_ladder_events[] = {
    LadderEvent::syn,
    LadderEvent::syn_ack,
    LadderEvent::handshake_complete,
    LadderEvent::fin,
    LadderEvent::rst,
    LadderEvent::rst_unread_data,
    LadderEvent::rst_not_listening,
    LadderEvent::zero_window,
    LadderEvent::window_update,
    LadderEvent::zero_window_probe,
    LadderEvent::retransmission,
    LadderEvent::dup_ack,
    LadderEvent::out_of_order,
    LadderEvent::time_wait,
};

/// "handshake_complete", "rst_unread_data", ...
std::string_view event_key(LadderEvent event);

/// What a ladder knows of one connection; shared by its lines.
struct LadderConnection {
  unsigned id = 0;     // 1, 2, ... in the order connections were first seen
  std::string client;  // "IP:PORT" of the side that sent the first SYN
  std::string server;  // (or, the handshake missed, of the first segment's sender/receiver)
  bool handshake_seen = false;
  double start = 0;  // capture time of its first segment
};

/// One segment as the ladder draws it.
struct LadderLine {
  std::shared_ptr<const LadderConnection> conn;
  bool first_of_connection = false;  // the connection's first line
  double t = 0;                      // seconds since the connection's first segment
  bool from_client = true;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0;
  std::optional<std::uint32_t> ack;  // none when the ACK flag is off
  std::uint32_t len = 0;
  std::uint64_t win = 0;  // bytes: the header's window scaled
  bool win_scale_known = true;
  TcpOptions options;
  std::optional<TcpState> client_state, server_state;  // none: not known (handshake missed)
  std::uint16_t events = 0;
  std::string note;

  bool has(LadderEvent e) const { return (events & static_cast<std::uint16_t>(e)) != 0; }
};

/// Follows every connection it is fed; memory grows with the connections
/// open, never with the segments (a closed one is forgotten a minute after
/// its last segment).
class LadderTracker {
 public:
  /// `absolute`: keep the raw sequence numbers instead of relative ones.
  explicit LadderTracker(bool absolute = false) : absolute_(absolute) {}

  /// The line for one segment. Segments come in capture order.
  LadderLine feed(const Segment& segment);

  /// How many connections are remembered now.
  std::size_t connections() const { return table_.size(); }

 private:
  // One direction of a connection: what one side sent.
  struct Side {
    std::optional<TcpState> state;
    bool base_known = false;  // `base`: what relative numbers count from
    std::uint32_t base = 0;
    bool sent_syn = false;
    std::uint32_t isn = 0;
    std::optional<std::uint8_t> wscale;  // offered in its SYN
    bool sent_any = false;
    std::uint32_t next_seq = 0;                  // one past the highest sequence number sent
    std::uint32_t hole_begin = 0, hole_end = 0;  // bytes skipped over (a gap), not yet seen
    std::optional<std::uint32_t> fin_seq;        // the sequence number its FIN took
    bool fin_acked = false;
    bool acked_any = false;
    std::uint32_t last_ack = 0;
    std::uint16_t last_window = 0;  // raw
    bool window_sent = false;
    std::uint64_t payload_sent = 0;
  };

  struct Key {
    IpAddress a, b;
    std::uint16_t a_port = 0, b_port = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Conn {
    std::shared_ptr<LadderConnection> info;
    IpAddress client_ip;
    std::uint16_t client_port = 0;
    Side side[2];  // [0] the client, [1] the server
    bool scale_known[2] = {false, false};
    double last_seen = 0;
  };

  struct Feed;  // one segment's steps through feed() (ladder.cpp)

  Conn& connection_for(const Segment& s, bool& created);
  void forget_old(double now);

  bool absolute_;
  unsigned next_id_ = 1;
  double last_sweep_ = 0;
  std::unordered_map<Key, Conn, KeyHash> table_;
};

}  // namespace socklab
