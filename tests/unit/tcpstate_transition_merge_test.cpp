#include "tcpstate/transition_merge.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace socklab;
using S = TcpState;

namespace {

const std::string client = "127.0.0.1:40000";
const std::string server = "127.0.0.1:8001";

Transition change(double time, std::optional<S> from, std::optional<S> to, const std::string& local = client,
                  const std::string& remote = server) {
  Transition t;
  t.time = time;
  t.local = local;
  t.remote = remote;
  t.from = from;
  t.to = to;
  return t;
}

// The table as /proc shows it: one socket of the client's in `state`.
std::map<std::string, SnapshotDiff::Entry> table_with(S state) {
  SocketRow row;
  row.state = state;
  row.local = client;
  row.remote = server;
  return {{SnapshotDiff::key(client, server), {row, 0.0}}};
}

// "bpftrace 1 FIN_WAIT_2 -> TIME_WAIT": what a test needs to see of each.
std::string summary(const std::vector<Transition>& merged) {
  std::string out;
  for (const Transition& t : merged) {
    char time[16];
    std::snprintf(time, sizeof time, "%g", t.time);
    out += t.source + " " + time + " " + (t.from ? std::string(state_name(*t.from)) : "(new)") + " -> " +
           (t.to ? std::string(state_name(*t.to)) : "(gone)") + (t.initial ? " initial" : "") +
           (t.queues_only ? " queues" : "") + (t.local == client ? "" : " " + t.local) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("merge_transitions") {
  const std::map<std::string, SnapshotDiff::Entry> empty;

  SUBCASE("keeps every kernel transition, in order, as bpftrace's") {
    auto merged = merge_transitions(
        {change(1, S::closed, S::syn_sent), change(1, S::syn_sent, S::established)}, {}, empty);
    CHECK(summary(merged) ==
          "bpftrace 1 CLOSED -> SYN_SENT\n"
          "bpftrace 1 SYN_SENT -> ESTABLISHED\n");
  }
  SUBCASE("a change both saw is the kernel's alone, with the kernel's time") {
    auto merged = merge_transitions({change(1, S::established, S::fin_wait_1)},
                                    {change(1.1, S::established, S::fin_wait_1)}, empty);
    CHECK(summary(merged) == "bpftrace 1 ESTABLISHED -> FIN_WAIT_1\n");
  }
  SUBCASE("drops the poll's new, changed and gone sockets: the kernel reports those") {
    auto merged =
        merge_transitions({},
                          {change(1, std::nullopt, S::established), change(1, S::established, S::close_wait),
                           change(1, S::last_ack, std::nullopt)},
                          empty);
    CHECK(merged.empty());
  }
  SUBCASE("keeps what only the poll sees, as proc's") {
    Transition initial = change(0, std::nullopt, S::listen, server, "0.0.0.0:*");
    initial.initial = true;
    Transition queues = change(2, S::established, S::established);
    queues.queues_only = true;
    auto merged = merge_transitions({}, {initial, queues, change(3, S::time_wait, std::nullopt)}, empty);
    CHECK(summary(merged) ==
          "proc 0 (new) -> LISTEN initial 127.0.0.1:8001\n"
          "proc 2 ESTABLISHED -> ESTABLISHED queues\n"
          "proc 3 TIME_WAIT -> (gone)\n");
  }
  SUBCASE("the kernel's CLOSED of a socket that closed first is the TIME_WAIT /proc shows") {
    auto merged = merge_transitions({change(2, S::fin_wait_2, S::closed)},
                                    {change(2.05, S::fin_wait_2, S::time_wait)}, table_with(S::time_wait));
    CHECK(summary(merged) == "bpftrace 2 FIN_WAIT_2 -> TIME_WAIT\n");
    for (S from : {S::fin_wait_1, S::closing}) {
      CAPTURE(state_name(from));
      CHECK(merge_transitions({change(2, from, S::closed)}, {}, table_with(S::time_wait))[0].to ==
            S::time_wait);
    }
  }
  SUBCASE("CLOSED stays CLOSED unless the socket closed first and /proc shows it in TIME_WAIT") {
    CHECK(merge_transitions({change(2, S::fin_wait_2, S::closed)}, {}, empty)[0].to == S::closed);
    CHECK(merge_transitions({change(2, S::fin_wait_2, S::closed)}, {}, table_with(S::fin_wait_2))[0].to ==
          S::closed);
    CHECK(merge_transitions({change(2, S::last_ack, S::closed)}, {}, table_with(S::time_wait))[0].to ==
          S::closed);
  }
  SUBCASE("a TIME_WAIT the kernel did not report comes from the poll") {
    auto merged = merge_transitions({change(1, S::established, S::fin_wait_1, "127.0.0.1:40001")},
                                    {change(2, S::fin_wait_2, S::time_wait)}, table_with(S::time_wait));
    CHECK(summary(merged) ==
          "bpftrace 1 ESTABLISHED -> FIN_WAIT_1 127.0.0.1:40001\n"
          "proc 2 FIN_WAIT_2 -> TIME_WAIT\n");
  }
  SUBCASE("a socket new to the poll and already in TIME_WAIT waits for the kernel's report") {
    // bpftrace prints a moment after the kernel acts: the poll can meet a
    // short connection in TIME_WAIT before its transitions are read.
    CHECK(merge_transitions({}, {change(1, std::nullopt, S::time_wait)}, table_with(S::time_wait)).empty());
    auto later =
        merge_transitions({change(0.5, S::established, S::fin_wait_1),
                           change(0.6, S::fin_wait_1, S::fin_wait_2), change(0.7, S::fin_wait_2, S::closed)},
                          {}, table_with(S::time_wait));
    CHECK(summary(later) ==
          "bpftrace 0.5 ESTABLISHED -> FIN_WAIT_1\n"
          "bpftrace 0.6 FIN_WAIT_1 -> FIN_WAIT_2\n"
          "bpftrace 0.7 FIN_WAIT_2 -> TIME_WAIT\n");
  }
  SUBCASE("sorts by time; at equal times the kernel's first, each list in its own order") {
    Transition initial = change(0, std::nullopt, S::listen, server, "0.0.0.0:*");
    initial.initial = true;
    Transition queues_a = change(1, S::established, S::established);
    queues_a.queues_only = true;
    Transition queues_b = queues_a;
    queues_b.local = "127.0.0.1:40001";
    auto merged =
        merge_transitions({change(3, S::established, S::fin_wait_1), change(1, S::syn_sent, S::established)},
                          {queues_a, queues_b, initial}, empty);
    CHECK(summary(merged) ==
          "proc 0 (new) -> LISTEN initial 127.0.0.1:8001\n"
          "bpftrace 1 SYN_SENT -> ESTABLISHED\n"
          "proc 1 ESTABLISHED -> ESTABLISHED queues\n"
          "proc 1 ESTABLISHED -> ESTABLISHED queues 127.0.0.1:40001\n"
          "bpftrace 3 ESTABLISHED -> FIN_WAIT_1\n");
  }
  SUBCASE("folds no duplicates: two equal kernel transitions are two") {
    auto merged = merge_transitions(
        {change(1, S::syn_sent, S::established), change(1, S::syn_sent, S::established)}, {}, empty);
    CHECK(merged.size() == 2);
  }
}
