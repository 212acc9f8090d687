#include "tcpstate/transition_merge.hpp"

#include <algorithm>

namespace socklab {
namespace {

bool closed_first(const Transition& t) {
  return t.from == TcpState::fin_wait_1 || t.from == TcpState::fin_wait_2 || t.from == TcpState::closing;
}

}  // namespace

std::vector<Transition> merge_transitions(std::vector<Transition> kernel, std::vector<Transition> polled,
                                          const std::map<std::string, SnapshotDiff::Entry>& table) {
  std::vector<Transition> out = std::move(kernel);
  for (Transition& t : out) {
    t.source = "bpftrace";
    if (t.to != TcpState::closed || !closed_first(t)) continue;
    auto now_there = table.find(SnapshotDiff::key(t.local, t.remote));
    if (now_there != table.end() && now_there->second.row.state == TcpState::time_wait)
      t.to = TcpState::time_wait;
  }
  const std::size_t from_kernel = out.size();
  auto kernel_saw_time_wait = [&](const Transition& t) {
    return std::any_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(from_kernel),
                       [&](const Transition& k) {
                         return k.local == t.local && k.remote == t.remote && k.to == TcpState::time_wait;
                       });
  };
  for (Transition& t : polled) {
    const bool time_wait_ends = t.from == TcpState::time_wait && !t.to;
    // A socket the poll meets for the first time already in TIME_WAIT was
    // born after watching began: bpftrace has not printed its transitions
    // yet (it lags the kernel a little) and will, so it is not added here.
    const bool unseen_time_wait =
        t.to == TcpState::time_wait && t.from && t.from != TcpState::time_wait && !kernel_saw_time_wait(t);
    if (t.initial || t.queues_only || time_wait_ends || unseen_time_wait) {
      t.source = "proc";
      out.push_back(std::move(t));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Transition& a, const Transition& b) { return a.time < b.time; });
  return out;
}

}  // namespace socklab
