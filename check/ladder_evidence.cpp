#include "check/ladder_evidence.hpp"

#include <cstdio>

#include "capture/ladder.hpp"

namespace socklab {
namespace {

std::string state_text(const std::optional<TcpState>& s) { return s ? std::string(state_name(*s)) : "?"; }

std::string line_text(const LadderLine& l) {
  char t[32];
  std::snprintf(t, sizeof t, "+%.3fs", l.t);
  std::string out = std::string(t) + (l.from_client ? " client -> server  " : " server -> client  ");
  out += flags_text(l.flags) + " seq " + std::to_string(l.seq);
  if (l.ack) out += " ack " + std::to_string(*l.ack);
  if (l.len) out += " len " + std::to_string(l.len);
  out += "  client " + state_text(l.client_state) + ", server " + state_text(l.server_state);
  return out;
}

}  // namespace

std::vector<std::string> ladder_evidence(const std::vector<Segment>& segments, std::uint16_t client_port,
                                         std::uint16_t server_port, bool from_fin, std::size_t max) {
  LadderTracker tracker;
  std::vector<std::string> lines;
  bool fin_seen = !from_fin;
  for (const Segment& s : segments) {
    const bool ours = (s.src_port == client_port && s.dst_port == server_port) ||
                      (s.src_port == server_port && s.dst_port == client_port);
    if (!ours) continue;
    const LadderLine line = tracker.feed(s);
    if (line.has(LadderEvent::fin)) fin_seen = true;
    if (fin_seen) lines.push_back("ladder: " + line_text(line));
  }
  if (lines.size() > max) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(max));
  return lines;
}

}  // namespace socklab
