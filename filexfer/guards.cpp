#include "filexfer/guards.hpp"

#include <charconv>
#include <cstdio>

namespace socklab::filexfer {

std::optional<std::string> check_name(std::string_view name) {
  if (name.empty()) return "name: empty";
  if (name.size() > 255) return "name: " + std::to_string(name.size()) + " bytes, more than 255";
  if (name == "." || name == "..") return "name: '" + std::string(name) + "' is a directory, not a file name";
  for (unsigned char c : name) {
    if (c == '/') return "name: contains '/' (only a bare file name is accepted)";
    if (c == 0) return "name: contains a NUL byte";
    if (c < 0x20 || c == 0x7f) {
      char text[64];
      std::snprintf(text, sizeof text, "name: contains the control byte 0x%02x", c);
      return text;
    }
  }
  if (name.front() == '.') return "name: starts with '.' (hidden names are refused)";
  return std::nullopt;
}

std::string part_name(std::string_view name, std::uint64_t size) {
  std::string part = "." + std::string(name) + "." + std::to_string(size) + ".part";
  if (part.size() <= 255) return part;
  // A long name leaves no room for the additions (a file name is at most
  // 255 bytes): use the name's 64-bit FNV-1a hash instead, still the same
  // for the same name, so a resume finds it.
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return "." + std::string(hex) + "." + std::to_string(size) + ".part";
}

namespace {

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

template <class Bytes>
bool prefix_equal(const Bytes& a, const Bytes& b, unsigned prefix) {
  for (std::size_t i = 0; i < a.size() && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const unsigned mask = (0xffu << (8 - bits)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

bool Cidr::contains(const asio::ip::address& address) const {
  const asio::ip::address a = unmapped(address);
  if (a.is_v4() != network.is_v4()) return false;
  if (a.is_v4()) return prefix_equal(a.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  return prefix_equal(a.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(addr_text, ec);
  if (ec) return Result<Cidr>::failure("'" + addr_text + "' is not an IP address");
  const unsigned max = address.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || err != std::errc() || end != p.data() + p.size() || prefix > max) {
      return Result<Cidr>::failure("prefix '" + std::string(p) + "' is not 0-" + std::to_string(max));
    }
  }
  return Cidr{unmapped(address), prefix};
}

bool allowed(const std::vector<Cidr>& allow, const asio::ip::address& address) {
  if (allow.empty()) return true;
  for (const Cidr& c : allow) {
    if (c.contains(address)) return true;
  }
  return false;
}

}  // namespace socklab::filexfer
