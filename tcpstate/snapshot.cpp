#include "tcpstate/snapshot.hpp"

#include <cstdio>
#include <string>

#include "common/error.hpp"
#include "common/json.hpp"
#include "tcpstate/cli_options.hpp"

namespace socklab {
namespace {

// One row as --json writes it.
Json row_json(const SocketRow& r) {
  Json j;
  j["state"] = state_name(r.state);
  j["local"] = r.local;
  j["remote"] = r.remote;
  j["recv_q"] = r.recv_q;
  j["send_q"] = r.send_q;
  if (!r.timer.empty()) j["timer"] = r.timer;
  if (r.timer_left) j["timer_left"] = *r.timer_left;
  return j;
}

// One row of the table, with ss's timer when it has one.
void print_row(const SocketRow& r) {
  std::string timer;
  if (r.timer_left)
    timer = "  " + r.timer + " " + std::to_string(static_cast<int>(*r.timer_left + 0.5)) + " s";
  std::printf("%-12s %8llu %8llu  %-30s %-30s%s\n", std::string(state_name(r.state)).c_str(),
              static_cast<unsigned long long>(r.recv_q), static_cast<unsigned long long>(r.send_q),
              r.local.c_str(), r.remote.c_str(), timer.c_str());
}

}  // namespace

int snapshot(const SnapshotOptions& options) {
  const SocketFilter filter = socket_filter(options.port, options.host);
  const SourceKind kind = options.source;
  auto rows = poll_source(kind == SourceKind::bpftrace ? SourceKind::proc : kind, kind == SourceKind::ss);
  if (!rows)
    throw StepError("source " + std::string(source_name(kind)),
                    rows.error() + "; " + source_alternatives(kind));
  if (!options.json && !options.quiet)
    std::printf("%-12s %8s %8s  %-30s %-30s\n", "State", "Recv-Q", "Send-Q", "Local", "Remote");
  for (const SocketRow& r : *rows) {
    if (!filter.matches(r)) continue;
    if (options.json)
      std::printf("%s\n", json_text(row_json(r)).c_str());
    else
      print_row(r);
  }
  return 0;
}

}  // namespace socklab
