#include "tcpstate/socket_table.hpp"

#include <array>
#include <cstdio>

#include <asio/ip/address.hpp>

#include "tcpstate/fields.hpp"

namespace socklab {
namespace {

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string where(std::size_t line_number) { return "line " + std::to_string(line_number) + ": "; }

// "HOST:PORT" as ss and netstat print it: the port follows the last ':'.
std::optional<std::pair<std::string_view, std::string_view>> split_endpoint(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return std::pair{text.substr(0, colon), text.substr(colon + 1)};
}

std::uint16_t port_of(std::string_view port) {
  auto n = number<std::uint16_t>(port);
  return n ? *n : 0;
}

// Fills row.local/remote and the ports from "HOST:PORT" texts.
Result<void> set_endpoints(SocketRow& row, std::string_view local, std::string_view remote,
                           std::size_t line_number) {
  auto l = split_endpoint(local);
  auto r = split_endpoint(remote);
  auto ln = l ? normalise_endpoint(l->first, l->second) : Failure{};
  auto rn = r ? normalise_endpoint(r->first, r->second) : Failure{};
  if (!ln) return Failure{where(line_number) + "bad local address '" + std::string(local) + "'"};
  if (!rn) return Failure{where(line_number) + "bad remote address '" + std::string(remote) + "'"};
  row.local = *ln;
  row.remote = *rn;
  row.local_port = port_of(l->second);
  row.remote_port = port_of(r->second);
  return {};
}

// One row of ss or netstat: both have Recv-Q, Send-Q, the local and the
// remote address in columns 1-4; the state is in `state_column`, and the
// row needs `columns` columns at least.
Result<SocketRow> table_row(const std::vector<std::string_view>& f, std::size_t state_column,
                            std::size_t columns, std::size_t n) {
  if (f.size() < columns)
    return Failure{where(n) + "expected " + std::to_string(columns) + " columns, got " +
                   std::to_string(f.size())};
  SocketRow row;
  auto state = parse_state(f[state_column]);
  if (!state) return Failure{where(n) + "unknown state '" + std::string(f[state_column]) + "'"};
  row.state = *state;
  auto recv_q = number<std::uint64_t>(f[1]);
  auto send_q = number<std::uint64_t>(f[2]);
  if (!recv_q || !send_q)
    return Failure{where(n) + "bad Recv-Q/Send-Q '" + std::string(f[1]) + " " + std::string(f[2]) + "'"};
  row.recv_q = *recv_q;
  row.send_q = *send_q;
  if (auto ends = set_endpoints(row, f[3], f[4], n); !ends) return Failure{ends.error()};
  return row;
}

// ss -o: "timer:(timewait,59sec,0)".
void set_timer(SocketRow& row, std::string_view field) {
  if (!field.starts_with("timer:(") || !field.ends_with(")")) return;
  field = field.substr(7, field.size() - 8);
  std::size_t comma = field.find(',');
  row.timer = std::string(field.substr(0, comma));
  if (comma == std::string_view::npos) return;
  std::string_view rest = field.substr(comma + 1);
  row.timer_left = parse_ss_duration(rest.substr(0, rest.find(',')));
}

// 32 hex digits of /proc/net/tcp6, or 8 of /proc/net/tcp: each 32-bit word
// is printed as the machine stores it (little-endian on x86 and arm64).
std::optional<asio::ip::address> proc_address(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> bytes{};
  for (std::size_t word = 0; word < hex.size() / 8; ++word) {
    auto value = number<std::uint32_t>(hex.substr(word * 8, 8), 16);
    if (!value) return std::nullopt;
    for (int b = 0; b < 4; ++b) bytes[word * 4 + b] = static_cast<unsigned char>(*value >> (8 * b));
  }
  if (hex.size() == 8) return asio::ip::address_v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  return asio::ip::address_v6(bytes);
}

std::string endpoint_text(asio::ip::address address, std::uint16_t port) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + (port ? std::to_string(port) : std::string("*"));
}

// asio's address for the bare host text; v4-mapped IPv6 as the IPv4 it maps.
std::optional<asio::ip::address> address_of(std::string_view host) {
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

}  // namespace

Result<asio::ip::address> parse_host(std::string_view text) {
  std::string_view host = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (std::size_t pct = host.find('%'); pct != std::string_view::npos) host = host.substr(0, pct);
  auto address = address_of(host);
  if (!address) return Failure{"'" + std::string(text) + "' is not an IP address"};
  return *address;
}

Result<std::string> normalise_host(std::string_view host) {
  auto address = parse_host(host);
  if (!address) return Failure{address.error()};
  return address->to_string();
}

Result<std::string> normalise_endpoint(std::string_view host, std::string_view port) {
  std::uint16_t p = 0;
  if (port != "*") {
    auto n = number<std::uint16_t>(port);
    if (!n) return Failure{"bad port '" + std::string(port) + "'"};
    p = *n;
  }
  // ss writes the dual-stack wildcard ([::] without IPV6_V6ONLY) as "*".
  if (host == "*") host = "::";
  // ss: "[::1]" and "[fe80::1]%lo"; netstat: "::1".
  if (std::size_t pct = host.find('%'); pct != std::string_view::npos) host = host.substr(0, pct);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto address = address_of(host);
  if (!address) return Failure{"bad host '" + std::string(host) + "'"};
  return endpoint_text(*address, p);
}

std::optional<double> parse_ss_duration(std::string_view text) {
  // ss's print_ms_timer: [Nmin][S(sec|.)][MMMms]
  double seconds = 0;
  bool any = false;
  auto take_number = [&](std::string_view& t) -> std::optional<unsigned> {
    std::size_t n = 0;
    while (n < t.size() && t[n] >= '0' && t[n] <= '9') ++n;
    if (n == 0 || n > 9) return std::nullopt;
    auto v = number<unsigned>(t.substr(0, n));
    t.remove_prefix(n);
    return v;
  };
  while (!text.empty()) {
    auto v = take_number(text);
    if (!v) return std::nullopt;
    any = true;
    if (text.starts_with("min")) {
      seconds += 60.0 * *v;
      text.remove_prefix(3);
    } else if (text.starts_with("sec")) {
      seconds += *v;
      text.remove_prefix(3);
    } else if (text.starts_with(".")) {
      seconds += *v;
      text.remove_prefix(1);
      auto ms = take_number(text);
      if (!ms || !text.starts_with("ms")) return std::nullopt;
      seconds += *ms / 1000.0;
      text.remove_prefix(2);
    } else if (text.starts_with("ms")) {
      seconds += *v / 1000.0;
      text.remove_prefix(2);
    } else {
      return std::nullopt;
    }
  }
  if (!any) return std::nullopt;
  return seconds;
}

Result<std::vector<SocketRow>> parse_ss(std::string_view text) {
  std::vector<SocketRow> rows;
  std::size_t n = 0;
  for (std::string_view line : lines(text)) {
    ++n;
    auto f = fields(line);
    if (f.empty() || f[0] == "State" || f[0] == "Netid") continue;
    // With several protocols ss adds a first "Netid" column ("tcp").
    if (f[0] == "tcp") f.erase(f.begin());
    auto row = table_row(f, 0, 5, n);  // State Recv-Q Send-Q Local Peer [timer]
    if (!row) return Failure{row.error()};
    for (std::size_t i = 5; i < f.size(); ++i) set_timer(*row, f[i]);
    rows.push_back(std::move(*row));
  }
  return rows;
}

Result<std::vector<SocketRow>> parse_netstat(std::string_view text) {
  std::vector<SocketRow> rows;
  std::size_t n = 0;
  for (std::string_view line : lines(text)) {
    ++n;
    auto f = fields(line);
    if (f.empty() || (f[0] != "tcp" && f[0] != "tcp6")) continue;  // headers, udp, unix
    auto row = table_row(f, 5, 6, n);                              // Proto Recv-Q Send-Q Local Foreign State
    if (!row) return Failure{row.error()};
    rows.push_back(std::move(*row));
  }
  return rows;
}

Result<std::vector<SocketRow>> parse_proc_net_tcp(std::string_view text) {
  std::vector<SocketRow> rows;
  std::size_t n = 0;
  for (std::string_view line : lines(text)) {
    ++n;
    auto f = fields(line);
    if (f.empty() || f[0] == "sl") continue;
    // sl local rem st tx_queue:rx_queue ...
    if (f.size() < 5 || !f[0].ends_with(":"))
      return Result<std::vector<SocketRow>>::failure(where(n) + "not a /proc/net/tcp row");
    SocketRow row;
    auto st = number<int>(f[3], 16);
    auto state = st ? state_from_kernel(*st) : std::nullopt;
    if (!state)
      return Result<std::vector<SocketRow>>::failure(where(n) + "unknown state '" + std::string(f[3]) + "'");
    row.state = *state;
    std::string_view ends[2] = {f[1], f[2]};
    for (int i = 0; i < 2; ++i) {
      auto ep = split_endpoint(ends[i]);
      auto address = ep ? proc_address(ep->first) : std::nullopt;
      auto port = ep ? number<std::uint16_t>(ep->second, 16) : std::nullopt;
      if (!address || !port)
        return Result<std::vector<SocketRow>>::failure(where(n) + "bad address '" + std::string(ends[i]) +
                                                       "'");
      (i == 0 ? row.local : row.remote) = endpoint_text(*address, *port);
      (i == 0 ? row.local_port : row.remote_port) = *port;
    }
    std::size_t colon = f[4].find(':');
    auto tx =
        colon == std::string_view::npos ? std::nullopt : number<std::uint64_t>(f[4].substr(0, colon), 16);
    auto rx =
        colon == std::string_view::npos ? std::nullopt : number<std::uint64_t>(f[4].substr(colon + 1), 16);
    if (!tx || !rx)
      return Result<std::vector<SocketRow>>::failure(where(n) + "bad queues '" + std::string(f[4]) + "'");
    row.send_q = *tx;
    row.recv_q = *rx;
    rows.push_back(std::move(row));
  }
  return rows;
}

bool SocketFilter::matches(std::string_view local, std::uint16_t local_port, std::string_view remote,
                           std::uint16_t remote_port) const {
  if (port != 0 && local_port != port && remote_port != port) return false;
  if (host.empty()) return true;
  auto host_of = [](std::string_view endpoint) {
    std::size_t colon = endpoint.rfind(':');
    std::string_view h = endpoint.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
    return h;
  };
  return host_of(local) == host || host_of(remote) == host;
}

}  // namespace socklab
