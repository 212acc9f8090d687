// Network byte order: the wire formats here (filexfer's protocol, udp's
// probe) write integers most significant byte first (big-endian), whatever
// the CPU's own order, so both ends read the same number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace socklab {

/// Appends the low `size` bytes of `value` to `out`, most significant first.
inline void put_big_endian(std::string& out, std::uint64_t value, std::size_t size) {
  for (std::size_t i = size; i-- > 0;) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

/// The `size`-byte big-endian number at `in[at]` (the caller checked that
/// the bytes are there).
inline std::uint64_t get_big_endian(std::span<const char> in, std::size_t at, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | static_cast<unsigned char>(in[at + i]);
  return value;
}

inline void put_u16(std::string& out, std::uint16_t value) { put_big_endian(out, value, 2); }
inline void put_u64(std::string& out, std::uint64_t value) { put_big_endian(out, value, 8); }
inline std::uint16_t get_u16(std::span<const char> in, std::size_t at) {
  return static_cast<std::uint16_t>(get_big_endian(in, at, 2));
}
inline std::uint64_t get_u64(std::span<const char> in, std::size_t at) { return get_big_endian(in, at, 8); }

}  // namespace socklab
