// Fuzz target: common/endpoint's parse_peer and parse_listen, the HOST[:PORT]
// strings every program takes.
// Property beyond "no crash": anything accepted formats back to text (IPv6 in
// brackets) that parses to the same HostPort; a peer's port is never 0 (the
// programs' default ports are 1-65535); a rejection carries a non-empty reason.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/endpoint.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

// The text a user would type for `hp`: "[::1]:80", "host:80", ":80".
std::string format(const socklab::HostPort& hp) {
  bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first two bytes pick the default port; the rest is the address text.
  const std::uint16_t default_port = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);

  const std::uint16_t peer_default = default_port == 0 ? 1 : default_port;
  if (auto peer = socklab::parse_peer(text, peer_default)) {
    FUZZ_CHECK(!peer->host.empty(), "a peer has a host");
    FUZZ_CHECK(peer->port != 0, "a peer's port is 1-65535");
    auto again = socklab::parse_peer(format(*peer), peer_default % 65535 + 1);
    FUZZ_CHECK(again.ok(), "a formatted peer parses again");
    FUZZ_CHECK(*again == *peer, "a formatted peer parses to the same HostPort");
  } else {
    FUZZ_CHECK(!peer.error().empty(), "a rejected peer says why");
  }

  if (auto listen = socklab::parse_listen(text, default_port)) {
    auto again = socklab::parse_listen(format(*listen), default_port ^ 1);
    FUZZ_CHECK(again.ok(), "a formatted listen address parses again");
    FUZZ_CHECK(*again == *listen, "a formatted listen address parses to the same HostPort");
  } else {
    FUZZ_CHECK(!listen.error().empty(), "a rejected listen address says why");
  }
  return 0;
}
