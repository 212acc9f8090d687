// recvfile's guards that need no I/O: which file names are safe, where the
// part file of a transfer lives, and which peers --allow lets in. Every
// refusal starts with the guard's name ("name: ...", "allow: ..."), and the
// same text goes to both sides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/address.hpp>

#include "common/result.hpp"

namespace socklab::filexfer {

/// Whether `name` is one safe path component; the error says why not, as
/// "name: ...". Safe: 1-255 bytes of valid UTF-8, no '/', no NUL or other control
/// character (C0, DEL, C1: a terminal acts on them when the name is printed),
/// no Unicode direction override (it makes "txt.exe" print as "exe.txt"),
/// not "." or "..", and not starting with '.' (hidden names are where part
/// files live).
Result<void> check_name(std::string_view name);

/// The deepest tree recvfile accepts: at most this many components in a path.
inline constexpr std::size_t max_depth = 64;

/// Whether `path` is a safe relative path beneath the receive directory;
/// the error is "path: ..." or the name guard of its first bad component.
/// Safe: at most 4095 bytes, not absolute, at most 64 components joined by
/// single '/', each one passing check_name (so no "..", "." or hidden name).
Result<void> check_path(std::string_view path);

/// Whether a file of `needed` more bytes fits when the file system has
/// `available` bytes free; the error is "space: ...".
Result<void> check_space(std::uint64_t needed, std::uint64_t available);

/// Where a transfer of a `size`-byte file continues when its part file
/// already holds `part_size` bytes: there, or at 0 when the part is longer
/// than the file (it cannot be this file's start).
std::uint64_t resume_offset(std::uint64_t part_size, std::uint64_t size);

/// The hidden file that holds a transfer in progress: ".NAME.SIZE.part"
/// (".HASH.SIZE.part" when that would be longer than 255 bytes). The size
/// is in the name so a resumed transfer only continues a part of the same
/// announced size; a classic transfer announces none (nullopt), and its
/// part is ".NAME.classic.part".
std::string part_name(std::string_view name, std::optional<std::uint64_t> size);

/// An address range like 10.0.0.0/8, 127.0.0.1 or ::1/128.
struct Cidr {
  asio::ip::address network;
  unsigned prefix = 0;
  bool contains(const asio::ip::address& address) const;
};

/// Parses "ADDRESS[/PREFIX]"; the error says what was wrong.
Result<Cidr> parse_cidr(std::string_view text);

/// Whether --allow lets `address` in (no --allow: everyone). An IPv4 peer
/// seen on an IPv6 socket (::ffff:a.b.c.d) is matched as IPv4.
bool allowed(const std::vector<Cidr>& allow, const asio::ip::address& address);

}  // namespace socklab::filexfer
