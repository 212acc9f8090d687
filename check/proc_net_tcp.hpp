// The kernel's TCP socket table as /proc/net/tcp and /proc/net/tcp6 print it
// (one socket a line: hex addresses and ports, the state's number, the
// queues), read in our own network namespace, so every socket in it is the
// student's program's or ours. Pure: text in, rows out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socklab {

struct TcpRow {
  std::string local_ip, remote_ip;  // "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t local_port = 0, remote_port = 0;
  int state = 0;  // the kernel's number: 1 ESTABLISHED, 8 CLOSE_WAIT, 10 LISTEN
  std::uint32_t send_queue = 0, recv_queue = 0;
  std::string line;  // the line as the kernel wrote it, trimmed
};

/// The rows of one file's text (its header line skipped; a line that does
/// not parse is skipped too). `v6`: the text is /proc/net/tcp6's.
std::vector<TcpRow> parse_proc_net_tcp(std::string_view text, bool v6);

/// The first listening socket (state 10) of tcp, then of tcp6.
std::optional<TcpRow> first_listening(const std::vector<TcpRow>& tcp, const std::vector<TcpRow>& tcp6);

/// The first bound socket of /proc/net/udp, then of udp6 (their lines have
/// the same fields as tcp's: parse them with parse_proc_net_tcp).
std::optional<TcpRow> first_bound(const std::vector<TcpRow>& udp, const std::vector<TcpRow>& udp6);

/// "127.0.0.1:8001", "[::1]:8001"
std::string row_endpoint(const std::string& ip, std::uint16_t port);

/// "127.0.0.1:8001 <- 127.0.0.1:45678 CLOSE_WAIT recv-q 0 send-q 0"
std::string row_text(const TcpRow& row);

}  // namespace socklab
