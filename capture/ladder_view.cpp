#include "capture/ladder_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/json.hpp"

namespace socklab {
namespace {

constexpr std::size_t arrow_width = 72;  // the arrow between the two state columns
constexpr int state_width = 11;          // "ESTABLISHED"

const char* const reset = "\x1b[0m";
const char* const to_server_colour = "\x1b[36m";  // cyan: client -> server
const char* const to_client_colour = "\x1b[33m";  // yellow: server -> client
const char* const rst_colour = "\x1b[31m";        // red: a reset
const char* const bold = "\x1b[1m";

std::string state_text(const std::optional<TcpState>& state) {
  return state ? std::string(state_name(*state)) : std::string("?");
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// "--LABEL------->" or "<-------LABEL--", at least arrow_width wide.
std::string arrow(const std::string& label, bool rightwards, char shaft) {
  const std::size_t body = std::max(arrow_width, label.size() + 6);
  const std::size_t fill = body - label.size() - 5;
  if (rightwards) return std::string(2, shaft) + " " + label + " " + std::string(fill, shaft) + ">";
  return "<" + std::string(fill, shaft) + " " + label + " " + std::string(2, shaft);
}

std::string time_text(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%10.6f", t);
  return buf;
}

}  // namespace

std::string options_text(const TcpOptions& o) {
  std::string text;
  auto add = [&text](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (o.mss) add("mss " + std::to_string(*o.mss));
  if (o.wscale) add("wscale " + std::to_string(*o.wscale));
  if (o.sack_perm) add("sack_perm");
  if (o.ts) add("ts");  // the values are in --json
  return text;
}

std::string LadderView::header(const LadderLine& line) const {
  const LadderConnection& c = *line.conn;
  std::string text = "\n";
  if (options_.tag) text += "#" + std::to_string(c.id) + " ";
  text += "client " + c.client + " -> server " + c.server;
  if (!c.handshake_seen)
    text += "  (handshake not seen: states unknown until a FIN or RST, window scale unknown)";
  text += "\n";
  // The endpoints above the two state columns.
  const std::size_t left = (options_.tag ? 5 : 0) + 12;
  text += std::string(left, ' ') + pad(c.client, state_width + 1 + arrow_width + 1) + c.server + "\n";
  return text;
}

std::string LadderView::draw(const LadderLine& line) const {
  std::string label = flags_text(line.flags);
  if (label.empty()) label = "(no flags)";
  label += " seq " + std::to_string(line.seq);
  if (line.ack) label += " ack " + std::to_string(*line.ack);
  if (line.len > 0) label += " len " + std::to_string(line.len);
  label += " win " + std::to_string(line.win) + (line.win_scale_known ? "" : "?");
  const std::string opts = options_text(line.options);
  if ((line.flags & tcp_syn) && !opts.empty()) label += " <" + opts + ">";

  std::string text;
  if (options_.tag) text += pad("#" + std::to_string(line.conn->id), 5);
  text += time_text(line.t) + "  ";
  const char* colour = (line.flags & tcp_rst) ? rst_colour
                       : line.from_client     ? to_server_colour
                                              : to_client_colour;
  auto coloured = [&](const std::string& s, const char* c) {
    return options_.colour ? std::string(c) + s + reset : s;
  };
  text += coloured(pad(state_text(line.client_state), state_width), bold) + " ";
  text += coloured(arrow(label, line.from_client, '-'), colour) + " ";
  text += coloured(pad(state_text(line.server_state), state_width), bold);
  if (!line.note.empty()) text += "  " + line.note;
  return text + "\n";
}

std::string LadderView::draw_fold(const Fold& f) const {
  const LadderLine& last = f.last;
  std::string label = std::to_string(f.data_segments) + " data segments";
  if (f.segments > f.data_segments) label += " + " + std::to_string(f.segments - f.data_segments) + " ACKs";
  label += ", " + std::to_string(f.bytes) + " bytes, seq " + std::to_string(f.first_seq) + "-" +
           std::to_string(f.end_seq);
  if (f.win_seen) label += ", win " + std::to_string(f.min_win) + "-" + std::to_string(f.max_win);

  std::string text;
  if (options_.tag) text += pad("#" + std::to_string(last.conn->id), 5);
  text += time_text(f.held.front().t) + "  ";
  auto coloured = [&](const std::string& s, const char* c) {
    return options_.colour ? std::string(c) + s + reset : s;
  };
  text += coloured(pad(state_text(last.client_state), state_width), bold) + " ";
  text += coloured(arrow(label, f.data_from_client, '='),
                   f.data_from_client ? to_server_colour : to_client_colour);
  text += " " + coloured(pad(state_text(last.server_state), state_width), bold);
  char until[48];
  std::snprintf(until, sizeof until, "  until %.6f s (--all shows each)\n", last.t);
  return text + until;
}

std::string LadderView::end_fold(unsigned conn) {
  auto it = folds_.find(conn);
  if (it == folds_.end()) return "";
  std::string text;
  if (it->second.segments <= fold_after) {
    for (const auto& l : it->second.held) text += draw(l);
  } else {
    text = draw_fold(it->second);
  }
  folds_.erase(it);
  return text;
}

std::string LadderView::add(const LadderLine& line) {
  std::string text;
  if (line.first_of_connection) text += header(line);
  const unsigned id = line.conn->id;
  // Only plain data and plain ACKs fold: anything with an event, and every
  // SYN, FIN and RST, is drawn on its own line.
  const bool plain = line.events == 0 && (line.flags & (tcp_syn | tcp_fin | tcp_rst)) == 0 && line.ack;
  if (options_.all || !plain) return text + end_fold(id) + draw(line);

  auto it = folds_.find(id);
  // Data the other way ends the run: a conversation is drawn line by line.
  if (it != folds_.end() && line.len > 0 && line.from_client != it->second.data_from_client) {
    text += end_fold(id);
    it = folds_.end();
  }
  if (it == folds_.end()) {
    if (line.len == 0) return text + draw(line);  // an ACK outside a run
    Fold f;
    f.data_from_client = line.from_client;
    f.first_seq = line.seq;
    it = folds_.emplace(id, std::move(f)).first;
  }
  Fold& f = it->second;
  ++f.segments;
  if (line.len > 0) {
    ++f.data_segments;
    f.bytes += line.len;
    f.end_seq = line.seq + line.len;
  }
  // The window that limits the run: what the receiving side advertises.
  if (line.from_client != f.data_from_client) {
    f.min_win = f.win_seen ? std::min(f.min_win, line.win) : line.win;
    f.max_win = f.win_seen ? std::max(f.max_win, line.win) : line.win;
    f.win_seen = true;
  }
  if (f.held.size() < fold_after + 1) f.held.push_back(line);
  f.last = line;
  // A long transfer shows a folded line per second of it, not one at the end.
  if (f.segments > fold_after && line.t - f.held.front().t >= fold_seconds) text += end_fold(id);
  return text;
}

std::string LadderView::flush() {
  std::string text;
  while (!folds_.empty()) text += end_fold(folds_.begin()->first);
  return text;
}

std::string ladder_json(const LadderLine& line) {
  const LadderConnection& c = *line.conn;
  auto state = [](const std::optional<TcpState>& s) { return s ? Json(state_name(*s)) : Json(nullptr); };
  Json options = Json::object();
  if (line.options.mss) options["mss"] = *line.options.mss;
  if (line.options.wscale) options["wscale"] = *line.options.wscale;
  if (line.options.sack_perm) options["sack_perm"] = true;
  if (line.options.ts) options["ts"] = {line.options.ts->first, line.options.ts->second};
  Json events = Json::array();
  for (LadderEvent e : all_ladder_events) {
    if (line.has(e)) events.push_back(event_key(e));
  }
  Json j;
  j["conn"] = c.id;
  j["t"] = std::round(line.t * 1e6) / 1e6;  // seconds, to the microsecond as captures are
  j["src"] = line.from_client ? c.client : c.server;
  j["dst"] = line.from_client ? c.server : c.client;
  j["client"] = c.client;
  j["server"] = c.server;
  j["dir"] = line.from_client ? "client->server" : "server->client";
  j["flags"] = flags_text(line.flags);
  j["seq"] = line.seq;
  j["ack"] = line.ack ? Json(*line.ack) : Json(nullptr);
  j["len"] = line.len;
  j["win"] = line.win;
  j["win_scale_known"] = line.win_scale_known;
  j["options"] = std::move(options);
  j["client_state"] = state(line.client_state);
  j["server_state"] = state(line.server_state);
  j["events"] = std::move(events);
  j["note"] = line.note;
  return json_text(j);
}

}  // namespace socklab
