// Fuzz target: tcpstate's parse_netstat, the parser of `netstat -tan` output.
// Property beyond "no crash": every row accepted has one of the 11 state
// names, addresses normalised ("IP:PORT", IPv6 in brackets, "*" for port 0,
// no scope id) that normalise to themselves and agree with the port numbers,
// and there is at most one row per input line; a rejection says why.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/tcpstate_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = socklab::parse_netstat(text);
  if (rows) {
    socklab::fuzz::check_rows(*rows, text);
  } else {
    FUZZ_CHECK(!rows.error().empty(), "a rejection says why");
  }
  return 0;
}
