#include "common/endpoint.hpp"

#include <charconv>

#include <asio/ip/address.hpp>

namespace socklab {
namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Parses the decimal port of `whole`; `allow_zero` is true for listeners.
Result<std::uint16_t> parse_port(std::string_view digits, std::string_view whole, bool allow_zero) {
  if (digits.empty()) {
    return Result<std::uint16_t>::failure("missing port after ':' in " + quoted(whole));
  }
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && end == digits.data() + digits.size() && value > 65535)) {
    return Result<std::uint16_t>::failure("port " + std::string(digits) + " is out of range (0-65535)");
  }
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return Result<std::uint16_t>::failure("port " + quoted(digits) + " is not a number");
  }
  if (value == 0 && !allow_zero) {
    return Result<std::uint16_t>::failure("port 0 cannot be a peer's port (use 1-65535)");
  }
  return static_cast<std::uint16_t>(value);
}

// True for an IPv6 address with an optional "%scope" (an interface name, at
// most 15 bytes on Linux, or an index). Asio takes any text after '%' as a
// scope and inet_pton stops at a NUL, so both are checked here: otherwise
// "::1%lo]:80" would pass as an address and the ":80" be silently dropped.
bool is_ipv6_address(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return false;
  if (auto pct = text.find('%'); pct != std::string_view::npos) {
    auto scope = text.substr(pct + 1);
    constexpr std::string_view name_chars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    if (scope.empty() || scope.size() > 15 || scope.find_first_not_of(name_chars) != std::string_view::npos) {
      return false;
    }
  }
  std::error_code ec;
  asio::ip::make_address_v6(std::string(text), ec);
  return !ec;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The shared grammar. `listener` allows an empty host, a bare port and port 0.
Result<HostPort> parse(std::string_view text, std::uint16_t default_port, bool listener) {
  using R = Result<HostPort>;
  if (text.empty()) return R::failure("empty address");
  if (listener && all_digits(text)) {
    auto port = parse_port(text, text, true);
    if (!port) return R::failure(port.error());
    return HostPort{"", *port};
  }
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return R::failure("missing ']' in " + quoted(text));
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (host.empty()) return R::failure("empty host in " + quoted(text));
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return R::failure("unexpected " + quoted(rest) + " after ']' in " + quoted(text));
      }
      has_port = true;
      port_text = rest.substr(1);
    }
    if (!is_ipv6_address(host)) return R::failure(quoted(host) + " is not an IPv6 address");
  } else if (text.find(':') != text.rfind(':')) {
    // Two or more colons and no brackets: a bare IPv6 address, no port.
    if (!is_ipv6_address(text)) {
      return R::failure(quoted(text) + " is not an IPv6 address (write [ADDR]:PORT for a port)");
    }
    host = text;
  } else if (auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    has_port = true;
    port_text = text.substr(colon + 1);
  } else {
    host = text;
  }
  if (host.empty() && !listener) return R::failure("empty host in " + quoted(text));
  std::uint16_t port = default_port;
  if (has_port) {
    auto parsed = parse_port(port_text, text, listener);
    if (!parsed) return R::failure(parsed.error());
    port = *parsed;
  }
  return HostPort{std::string(host), port};
}

template <class Protocol>
Result<std::vector<typename Protocol::endpoint>> resolve(asio::io_context& io, const HostPort& peer,
                                                         Family family) {
  using R = Result<std::vector<typename Protocol::endpoint>>;
  typename Protocol::resolver resolver(io);
  std::error_code ec;
  auto results =
      family == Family::v4   ? resolver.resolve(Protocol::v4(), peer.host, std::to_string(peer.port), ec)
      : family == Family::v6 ? resolver.resolve(Protocol::v6(), peer.host, std::to_string(peer.port), ec)
                             : resolver.resolve(peer.host, std::to_string(peer.port), ec);
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again ||
      ec == asio::error::no_data) {
    return R::failure(std::string("unknown host '") + peer.host + "'" +
                      (family == Family::v4   ? " (no IPv4 address)"
                       : family == Family::v6 ? " (no IPv6 address)"
                                              : ""));
  }
  if (ec == asio::error::address_family_not_supported) {
    return R::failure("'" + peer.host + "' has no address of the family asked for (-4/-6)");
  }
  if (ec) return R::failure(ec.message());
  std::vector<typename Protocol::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  if (endpoints.empty()) return R::failure("unknown host '" + peer.host + "'");
  return endpoints;
}

}  // namespace

Result<HostPort> parse_peer(std::string_view text, std::uint16_t default_port) {
  return parse(text, default_port, false);
}

Result<HostPort> parse_listen(std::string_view text, std::uint16_t default_port) {
  return parse(text, default_port, true);
}

std::string to_string(const HostPort& where) {
  const bool v6 = where.host.find(':') != std::string::npos;
  return (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
}

std::string format_address(const asio::ip::address& address, std::uint16_t port) {
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + ":" + std::to_string(port);
    }
    return "[" + v6.to_string() + "]:" + std::to_string(port);
  }
  return address.to_string() + ":" + std::to_string(port);
}

Result<std::vector<asio::ip::tcp::endpoint>> resolve_tcp(asio::io_context& io, const HostPort& peer,
                                                         Family family) {
  return resolve<asio::ip::tcp>(io, peer, family);
}

Result<std::vector<asio::ip::udp::endpoint>> resolve_udp(asio::io_context& io, const HostPort& peer,
                                                         Family family) {
  return resolve<asio::ip::udp>(io, peer, family);
}

Result<asio::ip::address> resolve_listen_address(asio::io_context& io, const HostPort& listen,
                                                 Family family) {
  if (listen.host.empty()) {
    if (family == Family::v6) return asio::ip::address(asio::ip::address_v6::any());
    return asio::ip::address(asio::ip::address_v4::any());
  }
  auto resolved = resolve_tcp(io, listen, family);
  if (!resolved) return Result<asio::ip::address>::failure(resolved.error());
  return resolved->front().address();
}

}  // namespace socklab
