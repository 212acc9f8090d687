#include "capture/ladder.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace socklab {
namespace {

// Sequence numbers wrap at 2^32: compare them by their signed distance.
bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }

bool is(const std::optional<TcpState>& state, TcpState s) { return state && *state == s; }

bool finished(const std::optional<TcpState>& state) {
  return is(state, TcpState::closed) || is(state, TcpState::time_wait);
}

}  // namespace

std::string_view event_key(LadderEvent event) {
  switch (event) {
    case LadderEvent::syn:
      return "syn";
    case LadderEvent::syn_ack:
      return "syn_ack";
    case LadderEvent::handshake_complete:
      return "handshake_complete";
    case LadderEvent::fin:
      return "fin";
    case LadderEvent::rst:
      return "rst";
    case LadderEvent::rst_unread_data:
      return "rst_unread_data";
    case LadderEvent::rst_not_listening:
      return "rst_not_listening";
    case LadderEvent::zero_window:
      return "zero_window";
    case LadderEvent::window_update:
      return "window_update";
    case LadderEvent::zero_window_probe:
      return "zero_window_probe";
    case LadderEvent::retransmission:
      return "retransmission";
    case LadderEvent::dup_ack:
      return "dup_ack";
    case LadderEvent::out_of_order:
      return "out_of_order";
    case LadderEvent::time_wait:
      return "time_wait";
  }
  return "?";
}

std::size_t LadderTracker::KeyHash::operator()(const Key& k) const {
  std::size_t h = std::hash<std::uint32_t>{}(static_cast<std::uint32_t>(k.a_port) << 16 | k.b_port);
  for (const auto* addr : {&k.a, &k.b}) {
    std::uint64_t half[2];
    std::memcpy(half, addr->bytes.data(), sizeof half);
    h = h * 1000003u ^ std::hash<std::uint64_t>{}(half[0]);
    h = h * 1000003u ^ std::hash<std::uint64_t>{}(half[1]);
  }
  return h;
}

LadderTracker::Conn& LadderTracker::connection_for(const Segment& s, bool& created) {
  // One key for both directions: the smaller endpoint first.
  Key key{s.src, s.dst, s.src_port, s.dst_port};
  if (std::tie(key.b, key.b_port) < std::tie(key.a, key.a_port)) {
    std::swap(key.a, key.b);
    std::swap(key.a_port, key.b_port);
  }
  const bool syn_only = s.has(tcp_syn) && !s.has(tcp_ack);
  created = false;
  if (auto it = table_.find(key); it != table_.end()) {
    Conn& c = it->second;
    const Side& sender = c.side[s.src == c.client_ip && s.src_port == c.client_port ? 0 : 1];
    const bool same_syn = sender.sent_syn && sender.isn == s.seq;
    // A new SYN on the ports of a finished connection opens a new one.
    if (!(syn_only && !same_syn && finished(c.side[0].state) && finished(c.side[1].state))) return c;
    table_.erase(it);
  }
  created = true;
  Conn c;
  // The client sent the first SYN; a SYN+ACK seen first goes to it. With
  // the handshake missed, the first segment's sender stands on the left.
  const bool client_is_src = !(s.has(tcp_syn) && s.has(tcp_ack));
  c.client_ip = client_is_src ? s.src : s.dst;
  c.client_port = client_is_src ? s.src_port : s.dst_port;
  auto info = std::make_shared<LadderConnection>();
  info->id = next_id_++;
  info->client = client_is_src ? endpoint_text(s.src, s.src_port) : endpoint_text(s.dst, s.dst_port);
  info->server = client_is_src ? endpoint_text(s.dst, s.dst_port) : endpoint_text(s.src, s.src_port);
  info->handshake_seen = syn_only;
  info->start = s.time;
  c.info = std::move(info);
  return table_.emplace(key, std::move(c)).first->second;
}

void LadderTracker::forget_old(double now) {
  // A finished connection may still see a retransmitted FIN or its last
  // ACK; a minute of silence (TIME_WAIT's length on Linux) ends it here.
  if (now - last_sweep_ < 1.0) return;
  last_sweep_ = now;
  std::erase_if(table_, [now](const auto& entry) {
    const Conn& c = entry.second;
    return finished(c.side[0].state) && finished(c.side[1].state) && now - c.last_seen > 60.0;
  });
}

// One segment on its way through feed(): the connection, its sender S and
// receiver R, and the line being built. Each step below reads or moves one
// part of what the tracker knows; feed() runs them in order.
struct LadderTracker::Feed {
  const Segment& s;
  Conn& c;
  const int from;  // 0: the client sent it
  Side& S;
  Side& R;
  LadderLine& line;
  const bool absolute;
  const std::string sname = from == 0 ? "client" : "server";
  const std::string rname = from == 0 ? "server" : "client";
  const bool syn = s.has(tcp_syn), fin = s.has(tcp_fin), rst = s.has(tcp_rst), ack = s.has(tcp_ack);
  const std::uint32_t seq_len =
      s.payload + (syn ? 1 : 0) + (fin ? 1 : 0);  // SYN and FIN take one number each
  bool retransmission = false, out_of_order = false, probe = false;

  void add(LadderEvent e) { line.events |= static_cast<std::uint16_t>(e); }
  void say(const std::string& text) {
    if (!line.note.empty()) line.note += "; ";
    line.note += text;
  }

  void count_from_isn();
  void judge_sequence();
  void scale_window();
  void window_events();
  void sequence_events();
  void on_rst();
  void on_syn();
  void on_ack();
  void on_fin();
  void time_wait_events(const std::optional<TcpState> (&before)[2]);
  void remember();
};

// What relative numbers count from: the ISN. With the SYN missed, the first
// number seen counts as ISN + 1, as Wireshark counts it.
void LadderTracker::Feed::count_from_isn() {
  if (syn && !S.sent_syn) {
    S.sent_syn = true;
    S.isn = s.seq;
    S.base = s.seq;
    S.base_known = true;
  } else if (!S.base_known) {
    S.base = s.seq - 1;
    S.base_known = true;
  }
  if (ack && !R.base_known) {
    // An acknowledgment names the next number expected: ISN + 1 at first.
    R.base = s.ack - 1;
    R.base_known = true;
    if (syn) R.isn = s.ack - 1;
  }
}

// Is this a repeat, a gap, or a probe? Judged against what was sent before;
// then what was sent moves on.
void LadderTracker::Feed::judge_sequence() {
  if (syn) {
    retransmission = S.sent_any && S.isn == s.seq;
  } else if (!rst && S.sent_any) {
    const std::uint32_t end = s.seq + seq_len;
    // A receiver with a zero window is asked, with a segment of 0 or 1
    // bytes, whether there is room yet (RFC 9293 3.8.6.1; Linux re-sends
    // its last acknowledged byte's number with no data).
    probe = R.window_sent && R.last_window == 0 && s.payload <= 1 && !fin &&
            (s.seq == S.next_seq - 1 || (s.payload == 1 && seq_le(s.seq, S.next_seq)));
    if (!probe && seq_len > 0) {
      if (seq_lt(s.seq, S.next_seq)) {
        const bool in_hole =
            S.hole_begin != S.hole_end && seq_le(S.hole_begin, s.seq) && seq_lt(s.seq, S.hole_end);
        if (in_hole) {
          out_of_order = true;
          if (s.seq == S.hole_begin) S.hole_begin = seq_lt(end, S.hole_end) ? end : S.hole_end;
        } else {
          retransmission = true;
        }
      } else if (seq_lt(S.next_seq, s.seq)) {
        out_of_order = true;
        S.hole_begin = S.next_seq;
        S.hole_end = s.seq;
      }
    }
  }
  if (!rst && (!S.sent_any || seq_lt(S.next_seq, s.seq + seq_len))) S.next_seq = s.seq + seq_len;
  if (!rst) S.sent_any = true;
  S.payload_sent += s.payload;
}

// The window: scaled by the factor this side announced in its SYN, when both
// SYNs carried the option (RFC 7323); a SYN's own window never is.
void LadderTracker::Feed::scale_window() {
  if (syn && ack && from == 1) {
    c.side[1].wscale = s.options.wscale;
    // The server offers a scale only if the client did: both are on or off.
    c.scale_known[1] = true;
    c.scale_known[0] = c.side[0].sent_syn || !s.options.wscale;
  }
  if (syn && !ack) S.wscale = s.options.wscale;
  const bool scaling = c.side[1].wscale.has_value();  // the server offers it only if the client did
  const unsigned shift = syn || !scaling ? 0 : std::min<unsigned>(S.wscale.value_or(0), 14);
  line.win = static_cast<std::uint64_t>(s.window) << shift;
  line.win_scale_known = syn || s.window == 0 || c.scale_known[from];  // zero is zero at any scale
}

// A full receive buffer, room again, or an ACK that repeats itself.
void LadderTracker::Feed::window_events() {
  if (syn || rst) return;
  const bool same_ack = ack && s.payload == 0 && !fin && S.acked_any && s.ack == S.last_ack && !probe;
  if (s.window == 0) {
    add(LadderEvent::zero_window);
    say(S.window_sent && S.last_window == 0
            ? "zero window: the " + sname + " still has no room"
            : "window full: the " + sname + "'s receive buffer is full (zero window)");
  } else if (S.window_sent && S.last_window == 0) {
    add(LadderEvent::window_update);
    say("window update: the " + sname + " has room again");
  } else if (same_ack && S.window_sent && s.window > S.last_window) {
    add(LadderEvent::window_update);
    say("window update: the " + sname + " has more room");
  } else if (same_ack && s.window == S.last_window && R.sent_any && seq_lt(s.ack, R.next_seq)) {
    add(LadderEvent::dup_ack);
    say("duplicate ACK: the " + sname + " still waits for byte " +
        std::to_string(absolute ? s.ack : s.ack - R.base));
  }
}

// What judge_sequence() found, told.
void LadderTracker::Feed::sequence_events() {
  if (probe) {
    add(LadderEvent::zero_window_probe);
    say("zero-window probe: is there room yet?");
  }
  if (retransmission) {
    add(LadderEvent::retransmission);
    say(syn ? "the SYN again: no answer yet" : "retransmission: these numbers were sent before");
  }
  if (out_of_order) {
    add(LadderEvent::out_of_order);
    say("out of order: a gap in the sequence numbers (lost, reordered or not captured)");
  }
}

// RST ends both sides at once; the note says why it was sent.
void LadderTracker::Feed::on_rst() {
  add(LadderEvent::rst);
  if (from == 1 && is(c.side[0].state, TcpState::syn_sent) && !S.sent_syn) {
    add(LadderEvent::rst_not_listening);
    say("RST: nothing listens on " + c.info->server + ", so the SYN is refused");
  } else if (R.payload_sent > 0 && !is(S.state, TcpState::syn_sent) && !is(S.state, TcpState::syn_rcvd)) {
    add(LadderEvent::rst_unread_data);
    say(S.fin_seq
            ? "RST: data reached the " + sname + " after it closed its socket"
            : "RST: the " + sname + " closed with data it had not read, so the kernel resets instead of FIN");
  } else {
    say("RST: the " + sname + " aborts the connection");
  }
  S.state = TcpState::closed;
  R.state = TcpState::closed;
}

// The handshake's first two segments: SYN, then SYN+ACK.
void LadderTracker::Feed::on_syn() {
  if (!ack) {
    if (!retransmission) {
      add(LadderEvent::syn);
      say("SYN: the " + sname + "'s ISN is " + std::to_string(s.seq) + "; the SYN takes one sequence number");
    }
    if (!S.state || is(S.state, TcpState::closed)) S.state = TcpState::syn_sent;
    if (!R.state || is(R.state, TcpState::closed) || is(R.state, TcpState::syn_sent))
      R.state = TcpState::syn_rcvd;
    return;
  }
  add(LadderEvent::syn_ack);
  if (R.sent_syn && s.ack == R.isn + 1 && !retransmission)
    say("SYN+ACK: ack = the " + rname + "'s ISN + 1 (its SYN took one number); this side's ISN is " +
        std::to_string(s.seq));
  if (!S.state || is(S.state, TcpState::syn_sent)) S.state = TcpState::syn_rcvd;
  if (!R.state || is(R.state, TcpState::syn_sent) || is(R.state, TcpState::syn_rcvd))
    R.state = TcpState::established;
}

// An ACK completes the handshake, or acknowledges the receiver's FIN.
void LadderTracker::Feed::on_ack() {
  if (is(R.state, TcpState::syn_rcvd) && (!R.sent_syn || seq_le(R.isn + 1, s.ack))) {
    R.state = TcpState::established;
    add(LadderEvent::handshake_complete);
    say("handshake complete: ack = the " + rname + "'s ISN + 1");
  }
  if (R.fin_seq && !R.fin_acked && seq_le(*R.fin_seq + 1, s.ack)) {
    R.fin_acked = true;
    say("acknowledges the " + rname + "'s FIN (ack = the FIN's seq + 1)");
    if (is(R.state, TcpState::fin_wait_1)) R.state = TcpState::fin_wait_2;
    if (is(R.state, TcpState::closing)) R.state = TcpState::time_wait;
    if (is(R.state, TcpState::last_ack)) R.state = TcpState::closed;
  }
}

// A FIN (not a repeat of one seen): the sender closes its direction.
void LadderTracker::Feed::on_fin() {
  if (S.fin_seq && *S.fin_seq == s.seq + s.payload) return;
  add(LadderEvent::fin);
  S.fin_seq = s.seq + s.payload;
  say("FIN: the " + sname + " closes its direction; the FIN takes one sequence number");
  if (is(S.state, TcpState::close_wait) && R.fin_seq && !R.fin_acked) {
    // Its FIN does not acknowledge the other's: both sent FIN before either
    // arrived. A simultaneous close: both are CLOSING.
    S.state = TcpState::closing;
    say("simultaneous close: both FINs crossed");
  } else if (is(S.state, TcpState::close_wait)) {
    S.state = TcpState::last_ack;
  } else if (!S.state || is(S.state, TcpState::established) || is(S.state, TcpState::syn_rcvd)) {
    S.state = TcpState::fin_wait_1;
  }
  if (!R.state || is(R.state, TcpState::established) || is(R.state, TcpState::syn_rcvd)) {
    R.state = TcpState::close_wait;
  } else if (is(R.state, TcpState::fin_wait_1)) {
    R.state = TcpState::closing;
  } else if (is(R.state, TcpState::fin_wait_2)) {
    R.state = TcpState::time_wait;
  }
}

void LadderTracker::Feed::time_wait_events(const std::optional<TcpState> (&before)[2]) {
  for (int i = 0; i < 2; ++i) {
    if (is(c.side[i].state, TcpState::time_wait) && !is(before[i], TcpState::time_wait)) {
      add(LadderEvent::time_wait);
      say(std::string("the ") + (i == 0 ? "client" : "server") +
          " enters TIME_WAIT (it lingers 2 MSL: 60 s on Linux)");
    }
  }
}

// What the next segment is judged against; the line's numbers and states.
void LadderTracker::Feed::remember() {
  if (ack) {
    S.acked_any = true;
    S.last_ack = s.ack;
  }
  if (!syn && !rst) {
    S.last_window = s.window;
    S.window_sent = true;
  }
  line.seq = absolute ? s.seq : s.seq - S.base;
  if (ack) line.ack = absolute ? s.ack : s.ack - R.base;
  line.client_state = c.side[0].state;
  line.server_state = c.side[1].state;
}

LadderLine LadderTracker::feed(const Segment& s) {
  forget_old(s.time);
  bool created = false;
  Conn& c = connection_for(s, created);
  c.last_seen = s.time;
  const int from = s.src == c.client_ip && s.src_port == c.client_port ? 0 : 1;
  LadderLine line;
  line.conn = c.info;
  line.first_of_connection = created;
  line.t = s.time - c.info->start;
  line.from_client = from == 0;
  line.flags = s.flags;
  line.len = s.payload;
  line.options = s.options;
  Feed f{s, c, from, c.side[from], c.side[1 - from], line, absolute_};
  const std::optional<TcpState> before[2] = {c.side[0].state, c.side[1].state};

  f.count_from_isn();
  f.judge_sequence();
  f.scale_window();
  f.window_events();
  f.sequence_events();
  // The state machine (RFC 9293 3.3.2), driven by what crossed the wire.
  if (f.rst) {
    f.on_rst();
  } else {
    if (f.syn) f.on_syn();
    if (f.ack && !f.syn) f.on_ack();
    if (f.fin) f.on_fin();
  }
  f.time_wait_events(before);
  f.remember();
  return line;
}

}  // namespace socklab
