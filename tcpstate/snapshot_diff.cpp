#include "tcpstate/snapshot_diff.hpp"

#include <cmath>
#include <cstdio>
#include <set>

#include "common/json.hpp"

namespace socklab {
namespace {

// Seconds rounded to the microsecond, for --json: the clocks are no finer.
double microseconds(double seconds) { return std::round(seconds * 1e6) / 1e6; }

}  // namespace

std::vector<Transition> SnapshotDiff::update(const std::vector<SocketRow>& rows, double now, bool queues) {
  std::vector<Transition> out;
  std::map<std::string, Entry> next;
  for (const SocketRow& row : rows) {
    std::string k = key(row.local, row.remote);
    // Two sockets with the same endpoints (SO_REUSEPORT listeners): number them.
    for (int dup = 2; next.count(k); ++dup) k = key(row.local, row.remote) + " #" + std::to_string(dup);
    Transition t;
    t.time = now;
    t.local = row.local;
    t.remote = row.remote;
    t.to = row.state;
    t.recv_q = row.recv_q;
    t.send_q = row.send_q;
    auto old = sockets_.find(k);
    if (old == sockets_.end()) {
      t.initial = first_;
      next[k] = Entry{row, first_ ? std::nullopt : std::optional<double>(now)};
      out.push_back(std::move(t));
      continue;
    }
    const Entry& before = old->second;
    if (before.row.state != row.state) {
      t.from = before.row.state;
      if (before.since) t.seconds_in_from = now - *before.since;
      next[k] = Entry{row, now};
      out.push_back(std::move(t));
    } else {
      next[k] = Entry{row, before.since};
      if (queues && (before.row.recv_q != row.recv_q || before.row.send_q != row.send_q)) {
        t.from = row.state;
        t.queues_only = true;
        out.push_back(std::move(t));
      }
    }
  }
  for (const auto& [k, entry] : sockets_) {
    if (next.count(k)) continue;
    Transition t;
    t.time = now;
    t.local = entry.row.local;
    t.remote = entry.row.remote;
    t.from = entry.row.state;
    if (entry.since) t.seconds_in_from = now - *entry.since;
    out.push_back(std::move(t));
  }
  sockets_ = std::move(next);
  first_ = false;
  return out;
}

std::string format_transition(const Transition& t, const std::string& clock) {
  std::string from = t.from ? std::string(state_name(*t.from)) : "(new)";
  std::string to = t.to ? std::string(state_name(*t.to)) : "(gone)";
  std::string line = clock + "  " + t.local + " " + t.remote + "  ";
  char buf[96];
  if (t.queues_only) {
    std::snprintf(buf, sizeof buf, "Recv-Q %llu Send-Q %llu", static_cast<unsigned long long>(t.recv_q),
                  static_cast<unsigned long long>(t.send_q));
    return line + from + "  " + buf;
  }
  line += from + " -> " + to;
  if (t.seconds_in_from && t.from) {
    std::snprintf(buf, sizeof buf, "  (%.3f s in %s)", *t.seconds_in_from,
                  std::string(state_name(*t.from)).c_str());
    line += buf;
  }
  if (t.initial) line += "  (already there)";
  return line;
}

std::string transition_json(const Transition& t) {
  auto state = [](const std::optional<TcpState>& s) { return s ? Json(state_name(*s)) : Json(nullptr); };
  Json j;
  j["time"] = microseconds(t.time);
  j["local"] = t.local;
  j["remote"] = t.remote;
  j["from"] = state(t.from);
  j["to"] = state(t.to);
  j["seconds_in_from"] = t.seconds_in_from ? Json(microseconds(*t.seconds_in_from)) : Json(nullptr);
  j["initial"] = t.initial;
  j["queues_only"] = t.queues_only;
  j["recv_q"] = t.recv_q;
  j["send_q"] = t.send_q;
  j["source"] = t.source;
  return json_text(j);
}

}  // namespace socklab
