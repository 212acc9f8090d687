// Fuzz target: graph's parse_inet_diag, the reader of the kernel's sock_diag
// replies (TCP_INFO over netlink). Property beyond "no crash": every socket
// accepted has its byte counts equal to segments x mss and a state named;
// a rejection says why, in one line.

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/fuzz_check.hpp"
#include "graph/tcp_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto sockets = socklab::graph::parse_inet_diag(std::span(data, size));
  if (sockets) {
    for (const auto& s : *sockets) {
      FUZZ_CHECK(s.cwnd_bytes == std::uint64_t{s.cwnd_segments} * s.mss, "cwnd in bytes is cwnd x mss");
      FUZZ_CHECK(s.in_flight_bytes == std::uint64_t{s.in_flight_segments} * s.mss,
                 "in flight in bytes is x mss");
      FUZZ_CHECK(!s.state.empty(), "every socket's state is named");
      FUZZ_CHECK(s.has_info || s.mss == 0, "no mss without TCP_INFO");
    }
  } else {
    FUZZ_CHECK(!sockets.error().empty(), "a rejection says why");
    FUZZ_CHECK(sockets.error().find('\n') == std::string::npos, "a rejection is one line");
  }
  return 0;
}
