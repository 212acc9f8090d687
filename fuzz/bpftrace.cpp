// Fuzz target: tcpstate's parse_bpftrace_line, which reads the lines of the
// bpftrace program tcpstate runs ("T NSEC SKADDR SADDR SPORT DADDR DPORT OLD NEW").
// Property beyond "no crash": a line accepted has both states among the 11
// names and normalised addresses that agree with the ports; formatting the
// accepted transition back into a line parses to the same transition.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz/tcpstate_check.hpp"
#include "tcpstate/bpftrace_source.hpp"

namespace {

// The kernel's number for a state, as the tracepoint reports it.
int kernel_number(socklab::TcpState state) {
  for (int n = 1; n <= 11; ++n) {
    if (socklab::state_from_kernel(n) == state) return n;
  }
  return 0;
}

// "[::1]:80" -> "::1"; "1.2.3.4:*" -> "1.2.3.4".
std::string host_of(const std::string& endpoint) {
  std::string host = endpoint.substr(0, endpoint.rfind(':'));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto t = socklab::parse_bpftrace_line(line);
  if (!t) return 0;
  socklab::fuzz::check_state(t->from);
  socklab::fuzz::check_state(t->to);
  socklab::fuzz::check_endpoint(t->local, t->local_port);
  socklab::fuzz::check_endpoint(t->remote, t->remote_port);

  char text[256];
  std::snprintf(text, sizeof text, "T %llu %llx %s %u %s %u %d %d",
                static_cast<unsigned long long>(t->nanoseconds), static_cast<unsigned long long>(t->socket),
                host_of(t->local).c_str(), unsigned{t->local_port}, host_of(t->remote).c_str(),
                unsigned{t->remote_port}, kernel_number(t->from), kernel_number(t->to));
  auto again = socklab::parse_bpftrace_line(text);
  FUZZ_CHECK(again && *again == *t, "a transition printed as bpftrace prints it parses to itself");
  return 0;
}
