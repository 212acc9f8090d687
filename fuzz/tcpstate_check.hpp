// The property the tcpstate parser targets share: what a parser accepts is
// normalised. A state is one of the eleven names state_name() gives, and an address is
// "IPv4:PORT" or "[IPv6]:PORT" (port "*" for 0) that normalises to itself.
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include "capture/state.hpp"
#include "fuzz/fuzz_check.hpp"
#include "tcpstate/socket_table.hpp"

namespace socklab::fuzz {

/// The state is one of the eleven, and its name reads back as itself.
inline void check_state(TcpState state) {
  bool known = false;
  for (TcpState s : all_states) known = known || s == state;
  FUZZ_CHECK(known, "a parsed state is one of the 11 states");
  auto back = parse_state(state_name(state));
  FUZZ_CHECK(back && *back == state, "a state's name parses back to the same state");
}

/// `endpoint` is normalised text whose port is `port`.
inline void check_endpoint(const std::string& endpoint, std::uint16_t port) {
  std::size_t colon = endpoint.rfind(':');
  FUZZ_CHECK(colon != std::string::npos && colon > 0, "an endpoint is HOST:PORT");
  std::string_view host = std::string_view(endpoint).substr(0, colon);
  std::string_view port_text = std::string_view(endpoint).substr(colon + 1);
  FUZZ_CHECK(port_text == (port ? std::to_string(port) : std::string("*")),
             "an endpoint's port text matches its port number");
  FUZZ_CHECK(host.find(':') == std::string_view::npos || (host.front() == '[' && host.back() == ']'),
             "an IPv6 host is in brackets");
  FUZZ_CHECK(host.find('%') == std::string_view::npos, "a scope id is dropped");
  auto again = normalise_endpoint(host, port_text);
  FUZZ_CHECK(again && *again == endpoint, "a normalised endpoint normalises to itself");
}

/// Every field of one row is normalised.
inline void check_row(const SocketRow& row) {
  check_state(row.state);
  check_endpoint(row.local, row.local_port);
  check_endpoint(row.remote, row.remote_port);
  if (row.timer_left) {
    FUZZ_CHECK(std::isfinite(*row.timer_left) && *row.timer_left >= 0, "a timer's seconds are finite, >= 0");
  }
}

/// At most one row per line of input.
inline void check_rows(const std::vector<SocketRow>& rows, std::string_view text) {
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(rows.size() <= lines, "at most one row per line");
  for (const auto& row : rows) check_row(row);
}

}  // namespace socklab::fuzz
