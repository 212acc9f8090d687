#include "check/proc_net_tcp.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "capture/state.hpp"

namespace socklab {
namespace {

std::optional<std::uint32_t> hex(std::string_view s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "0100007F:1F41": the address as the kernel keeps it in memory (32-bit
// words in host byte order), the port in hex.
bool parse_endpoint(std::string_view s, bool v6, std::string& ip, std::uint16_t& port) {
  const auto colon = s.find(':');
  const std::size_t hex_len = v6 ? 32 : 8;
  if (colon != hex_len) return false;
  auto p = hex(s.substr(colon + 1));
  if (!p || *p > 0xffff) return false;
  port = static_cast<std::uint16_t>(*p);
  std::array<std::uint32_t, 4> words{};
  for (std::size_t i = 0; i < hex_len / 8; ++i) {
    auto w = hex(s.substr(i * 8, 8));
    if (!w) return false;
    words[i] = *w;  // the word's bytes, read on this (little-endian) host, are in network order
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(v6 ? AF_INET6 : AF_INET, words.data(), text, sizeof text)) return false;
  ip = text;
  return true;
}

}  // namespace

std::vector<TcpRow> parse_proc_net_tcp(std::string_view text, bool v6) {
  std::vector<TcpRow> rows;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues) || slot.back() != ':') continue;
    TcpRow row;
    if (!parse_endpoint(local, v6, row.local_ip, row.local_port)) continue;
    if (!parse_endpoint(remote, v6, row.remote_ip, row.remote_port)) continue;
    auto st = hex(state);
    const auto colon = queues.find(':');
    if (!st || colon == std::string::npos) continue;
    auto tx = hex(queues.substr(0, colon));
    auto rx = hex(queues.substr(colon + 1));
    if (!tx || !rx) continue;
    row.state = static_cast<int>(*st);
    row.send_queue = *tx;
    row.recv_queue = *rx;
    const auto first = line.find_first_not_of(' ');
    const auto last = line.find_last_not_of(' ');
    row.line = line.substr(first, last - first + 1);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<TcpRow> first_listening(const std::vector<TcpRow>& tcp, const std::vector<TcpRow>& tcp6) {
  for (const auto* table : {&tcp, &tcp6})
    for (const auto& row : *table)
      if (row.state == 10) return row;
  return std::nullopt;
}

std::optional<TcpRow> first_bound(const std::vector<TcpRow>& udp, const std::vector<TcpRow>& udp6) {
  for (const auto* table : {&udp, &udp6})
    for (const auto& row : *table)
      if (row.local_port != 0 && row.remote_port == 0) return row;
  return std::nullopt;
}

std::string row_endpoint(const std::string& ip, std::uint16_t port) {
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

std::string row_text(const TcpRow& row) {
  auto state = state_from_kernel(row.state);
  return row_endpoint(row.local_ip, row.local_port) + " <- " + row_endpoint(row.remote_ip, row.remote_port) +
         " " + (state ? std::string(state_name(*state)) : "state " + std::to_string(row.state)) + " recv-q " +
         std::to_string(row.recv_queue) + " send-q " + std::to_string(row.send_queue);
}

}  // namespace socklab
