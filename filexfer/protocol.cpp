#include "filexfer/protocol.hpp"

#include <cstring>

#include "common/byte_order.hpp"

namespace socklab::filexfer {
namespace {

template <class T>
Decoded<T> incomplete() {
  return {};
}
template <class T>
Decoded<T> invalid(std::string why) {
  Decoded<T> d;
  d.status = Decoded<T>::Status::invalid;
  d.error = std::move(why);
  return d;
}
template <class T>
Decoded<T> complete(T value, std::size_t used) {
  Decoded<T> d;
  d.status = Decoded<T>::Status::complete;
  d.value = std::move(value);
  d.used = used;
  return d;
}

std::string type_error(char got, std::string_view wanted) {
  char text[80];
  std::snprintf(text, sizeof text, "expected %.*s, got byte 0x%02x", static_cast<int>(wanted.size()),
                wanted.data(), static_cast<unsigned char>(got));
  return text;
}

// The type byte at in[0], then u16 path length + path + `tail` more bytes.
// Returns the path length, 0 when more bytes are needed, or the error.
Decoded<std::size_t> path_length(std::span<const char> in, std::size_t tail) {
  if (in.size() < 3) return incomplete<std::size_t>();
  const std::size_t len = get_u16(in, 1);
  if (len == 0 || len > max_path) {
    return invalid<std::size_t>("header: path length " + std::to_string(len) + " is not 1-" +
                                std::to_string(max_path));
  }
  if (in.size() < 3 + len + tail) return incomplete<std::size_t>();
  return complete(len, 3 + len + tail);
}

// 'F' + u16 path length + path + u64 size.
Decoded<FileHeader> decode_file_body(std::span<const char> in) {
  const auto len = path_length(in, 8);
  if (!len.complete()) return len.invalid() ? invalid<FileHeader>(len.error) : incomplete<FileHeader>();
  FileHeader h{std::string(in.data() + 3, len.value), get_u64(in, 3 + len.value)};
  return complete(std::move(h), len.used);
}

// 'D' + u16 path length + path.
Decoded<Directory> decode_directory_body(std::span<const char> in) {
  const auto len = path_length(in, 0);
  if (!len.complete()) return len.invalid() ? invalid<Directory>(len.error) : incomplete<Directory>();
  return complete(Directory{std::string(in.data() + 3, len.value)}, len.used);
}

}  // namespace

std::string encode(const Hello& h) {
  std::string out(hello_magic);
  out.push_back(static_cast<char>(h.version));
  if (h.version >= 2) {
    put_u64(out, h.files);
    put_u64(out, h.bytes);
  }
  return out;
}

std::string encode(const FileHeader& h) {
  std::string out("F");
  put_u16(out, h.name.size());
  out += h.name;
  put_u64(out, h.size);
  return out;
}

std::string encode(const Directory& d) {
  std::string out("D");
  put_u16(out, d.path.size());
  out += d.path;
  return out;
}

// Each answer is built from its own tag, not by assigning a literal to one
// string: GCC 12 at -O3 misreads that assignment as an overlapping memcpy
// (a -Wrestrict false positive, fatal with -Werror).
std::string encode(const Answer& a) {
  if (!a.accepted && a.have) {
    std::string out("S");
    out.append(reinterpret_cast<const char*>(a.have->data()), a.have->size());
    return out;
  }
  if (a.accepted) {
    std::string out("A");
    put_u64(out, a.offset);
    return out;
  }
  std::string out("R");
  const std::string_view reason = std::string_view(a.reason).substr(0, max_reason);
  put_u16(out, reason.size());
  out += reason;
  return out;
}

std::string encode(const Trailer& t) {
  std::string out("H");
  out.append(reinterpret_cast<const char*>(t.sha256.data()), t.sha256.size());
  return out;
}

std::string encode(const Verdict& v) {
  std::string out("V");
  out.push_back(v.good ? 0 : 1);
  const std::string_view reason = std::string_view(v.reason).substr(0, max_reason);
  put_u16(out, reason.size());
  out += reason;
  return out;
}

std::string encode(const Group& g) {
  std::string out("G");
  put_u16(out, g.count);
  return out;
}

std::string encode(const End&) { return "E"; }

Decoded<Hello> decode_hello(std::span<const char> in) {
  const std::size_t have = std::min(in.size(), hello_magic.size());
  if (std::memcmp(in.data(), hello_magic.data(), have) != 0)
    return invalid<Hello>("not the socklab protocol");
  const std::size_t at = hello_magic.size();
  if (in.size() < at + 1) return incomplete<Hello>();
  const auto version = static_cast<std::uint8_t>(in[at]);
  if (version == 1) return complete(Hello{1, 0, 0}, at + 1);
  if (version != 2 && version != 3) {
    return invalid<Hello>("protocol version " + std::to_string(version) +
                          " (this recvfile speaks versions 1 to 3)");
  }
  if (in.size() < at + 17) return incomplete<Hello>();
  return complete(Hello{version, get_u64(in, at + 1), get_u64(in, at + 9)}, at + 17);
}

Decoded<std::variant<Group, End>> decode_group_or_end(std::span<const char> in) {
  using V = std::variant<Group, End>;
  if (in.empty()) return incomplete<V>();
  if (in[0] == 'E') return complete<V>(End{}, 1);
  if (in[0] != 'G') return invalid<V>("header: " + type_error(in[0], "a group 'G' or the end 'E'"));
  if (in.size() < 3) return incomplete<V>();
  const std::size_t count = get_u16(in, 1);
  if (count == 0 || count > max_group) {
    return invalid<V>("header: a group of " + std::to_string(count) + " offers is not 1-" +
                      std::to_string(max_group));
  }
  return complete<V>(Group{count}, 3);
}

Decoded<std::variant<FileHeader, Directory, End>> decode_file_or_end(std::span<const char> in) {
  using V = std::variant<FileHeader, Directory, End>;
  if (in.empty()) return incomplete<V>();
  if (in[0] == 'E') return complete<V>(End{}, 1);
  if (in[0] == 'D') {
    auto d = decode_directory_body(in);
    if (!d.complete()) return d.invalid() ? invalid<V>(d.error) : incomplete<V>();
    return complete<V>(std::move(d.value), d.used);
  }
  if (in[0] != 'F') {
    return invalid<V>("header: " + type_error(in[0], "a file header 'F', a directory 'D' or the end 'E'"));
  }
  auto d = decode_file_body(in);
  if (d.invalid()) return invalid<V>(d.error);
  if (!d.complete()) return incomplete<V>();
  return complete<V>(std::move(d.value), d.used);
}

Decoded<std::variant<FileHeader, Directory>> decode_offer(std::span<const char> in) {
  using V = std::variant<FileHeader, Directory>;
  if (!in.empty() && in[0] == 'E')
    return invalid<V>("header: the end 'E' inside a group (its offers are not all here)");
  if (!in.empty() && in[0] != 'F' && in[0] != 'D')
    return invalid<V>("header: " + type_error(in[0], "a file header 'F' or a directory 'D'"));
  auto d = decode_file_or_end(in);
  if (!d.complete()) return d.invalid() ? invalid<V>(d.error) : incomplete<V>();
  if (auto* f = std::get_if<FileHeader>(&d.value)) return complete<V>(std::move(*f), d.used);
  return complete<V>(std::get<Directory>(std::move(d.value)), d.used);
}

Decoded<Answer> decode_answer(std::span<const char> in) {
  if (in.empty()) return incomplete<Answer>();
  if (in[0] == 'S') {
    if (in.size() < 33) return incomplete<Answer>();
    Sha256 have{};
    std::memcpy(have.data(), in.data() + 1, 32);
    return complete(Answer{false, 0, {}, have}, 33);
  }
  if (in[0] == 'A') {
    if (in.size() < 9) return incomplete<Answer>();
    return complete(Answer{true, get_u64(in, 1), {}}, 9);
  }
  if (in[0] != 'R') return invalid<Answer>("answer: " + type_error(in[0], "'A', 'R' or 'S'"));
  if (in.size() < 3) return incomplete<Answer>();
  const std::size_t len = get_u16(in, 1);
  if (len > max_reason)
    return invalid<Answer>("answer: reason of " + std::to_string(len) + " bytes is too long");
  if (in.size() < 3 + len) return incomplete<Answer>();
  return complete(Answer{false, 0, std::string(in.data() + 3, len)}, 3 + len);
}

Decoded<std::variant<Answer, Verdict>> decode_answer_or_verdict(std::span<const char> in) {
  using V = std::variant<Answer, Verdict>;
  if (in.empty()) return incomplete<V>();
  if (in[0] != 'V' && in[0] != 'A' && in[0] != 'R' && in[0] != 'S') {
    return invalid<V>("answer: " + type_error(in[0], "'A', 'R', 'S' or 'V'"));
  }
  if (in[0] == 'V') {
    auto v = decode_verdict(in);
    if (!v.complete()) return v.invalid() ? invalid<V>(v.error) : incomplete<V>();
    return complete<V>(std::move(v.value), v.used);
  }
  auto a = decode_answer(in);
  if (!a.complete()) return a.invalid() ? invalid<V>(a.error) : incomplete<V>();
  return complete<V>(std::move(a.value), a.used);
}

Decoded<Trailer> decode_trailer(std::span<const char> in) {
  if (in.empty()) return incomplete<Trailer>();
  if (in[0] != 'H') return invalid<Trailer>("trailer: " + type_error(in[0], "'H'"));
  if (in.size() < 33) return incomplete<Trailer>();
  Trailer t;
  std::memcpy(t.sha256.data(), in.data() + 1, 32);
  return complete(t, 33);
}

Decoded<Verdict> decode_verdict(std::span<const char> in) {
  if (in.empty()) return incomplete<Verdict>();
  if (in[0] != 'V') return invalid<Verdict>("verdict: " + type_error(in[0], "'V'"));
  if (in.size() < 4) return incomplete<Verdict>();
  if (in[1] != 0 && in[1] != 1) return invalid<Verdict>("verdict: status byte must be 0 or 1");
  const std::size_t len = get_u16(in, 2);
  if (len > max_reason)
    return invalid<Verdict>("verdict: reason of " + std::to_string(len) + " bytes is too long");
  if (in.size() < 4 + len) return incomplete<Verdict>();
  return complete(Verdict{in[1] == 0, std::string(in.data() + 4, len)}, 4 + len);
}

std::string to_hex(const Sha256& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

}  // namespace socklab::filexfer
