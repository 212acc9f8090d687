// The bytes sendfile and recvfile exchange (notes/file-transfer-protocol.md
// describes them for people). Encoding and decoding only: no I/O, so unit
// tests and fuzz targets reach every rule.
//
// verified mode, one connection:
//   sender:   HELLO            "\0SLFT" + version (1 byte); versions 2 and 3
//                              add the run's totals: files (u64) + bytes (u64)
//   version 3: the offers go in groups, GROUP 'G' + count (u16, 1-32), then
//             that many FILE or DIR headers; the receiver answers each in
//             order, then the accepted files' bytes and TRAILERs follow in
//             that order. One round trip per group instead of per file.
//             (Versions 1 and 2: one FILE or DIR at a time, no GROUP.)
//   per file: sender   FILE    'F' + path length (u16) + path + size (u64)
//             receiver ANSWER  'A' + offset (u64)            accept, send from offset
//                           or 'R' + reason length (u16) + reason   refuse; next file
//                           or 'S' + SHA-256 (32 bytes)     the receiver has this path
//                              already, this size, with this hash; nothing follows
//             sender   the file's bytes from offset to size, then
//                      TRAILER 'H' + SHA-256 of the whole file (32 bytes)
//             receiver VERDICT 'V' + 0 (good) or 1 (bad) + reason length (u16) + reason
//   per empty directory: sender DIR 'D' + path length (u16) + path;
//             receiver ANSWER 'A' + 0 (made, or there already) or 'R' + reason
//   sender:   END              'E'
// The sender need not wait for a VERDICT before the next FILE: the receiver
// may commit several files with one flush to disk and send their VERDICTs
// later, always in file order, so an ANSWER may come after earlier VERDICTs.
// Integers are big-endian. A path is 1-4095 bytes of components joined by
// '/' (a single file sends its bare name); a reason at most 1024 bytes.
//
// classic mode (the course's protocol): the sender writes the bare name, the
// receiver answers "ok", the sender streams the content and closes. A
// classic name never starts with a NUL byte, so the first byte tells them apart.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace socklab::filexfer {

inline constexpr std::string_view hello_magic{"\0SLFT", 5};
inline constexpr std::uint8_t protocol_version = 3;
/// The most offers in one group (version 3); the receiver holds a part file
/// open for each accepted one until its bytes arrive.
inline constexpr std::size_t max_group = 32;
/// The longest path on the wire (Linux's PATH_MAX less its NUL).
inline constexpr std::size_t max_path = 4095;
inline constexpr std::size_t max_reason = 1024;
/// The longest message other than file content (a FILE with the longest path).
inline constexpr std::size_t max_message = 3 + max_path + 8;

using Sha256 = std::array<unsigned char, 32>;

struct Hello {
  std::uint8_t version = protocol_version;
  std::uint64_t files = 0;  ///< version 2 and 3: how many files the run sends (for progress)
  std::uint64_t bytes = 0;  ///< version 2 and 3: their total size
  bool operator==(const Hello&) const = default;
};
struct FileHeader {
  std::string name;  ///< the path: "a.txt", or "photos/2024/a.jpg" inside a directory
  std::uint64_t size = 0;
  bool operator==(const FileHeader&) const = default;
};
/// An empty directory to create (one with files is created by their paths).
struct Directory {
  std::string path;
  bool operator==(const Directory&) const = default;
};
struct Answer {
  bool accepted = false;
  std::uint64_t offset = 0;  ///< accepted: send from this byte (resume)
  std::string reason;        ///< refused: "GUARD: detail"
  /// Not accepted, no reason: the receiver has the file already, with this hash.
  std::optional<Sha256> have{};
  bool operator==(const Answer&) const = default;
};
struct Trailer {
  Sha256 sha256{};
  bool operator==(const Trailer&) const = default;
};
struct Verdict {
  bool good = false;
  std::string reason;  ///< bad: why
  bool operator==(const Verdict&) const = default;
};
/// Version 3: the next `count` messages are FILE or DIR headers, answered
/// before any of their bytes are sent.
struct Group {
  std::size_t count = 1;
  bool operator==(const Group&) const = default;
};
struct End {
  bool operator==(const End&) const = default;
};

std::string encode(const Hello&);
std::string encode(const FileHeader&);
std::string encode(const Directory&);
std::string encode(const Answer&);
std::string encode(const Trailer&);
std::string encode(const Verdict&);
std::string encode(const Group&);
std::string encode(const End&);

/// The result of decoding from the front of a buffer: a message and how many
/// bytes it used, "need more bytes", or an error naming what was wrong.
template <class T>
struct Decoded {
  enum class Status { complete, incomplete, invalid } status = Status::incomplete;
  T value{};
  std::size_t used = 0;
  std::string error;
  bool complete() const { return status == Status::complete; }
  bool invalid() const { return status == Status::invalid; }
};

Decoded<Hello> decode_hello(std::span<const char> in);
/// The sender's next message: a FILE, a DIR, or END.
Decoded<std::variant<FileHeader, Directory, End>> decode_file_or_end(std::span<const char> in);
/// Version 3: the sender's next GROUP, or END.
Decoded<std::variant<Group, End>> decode_group_or_end(std::span<const char> in);
/// Version 3, inside a group: a FILE or a DIR (END there is an error).
Decoded<std::variant<FileHeader, Directory>> decode_offer(std::span<const char> in);
Decoded<Answer> decode_answer(std::span<const char> in);
/// What the sender reads while it waits for an answer: the ANSWER, or the
/// VERDICT of an earlier file the receiver has just committed.
Decoded<std::variant<Answer, Verdict>> decode_answer_or_verdict(std::span<const char> in);
Decoded<Trailer> decode_trailer(std::span<const char> in);
Decoded<Verdict> decode_verdict(std::span<const char> in);

/// The lowercase hex text of a digest, as sha256sum prints it.
std::string to_hex(const Sha256& digest);

}  // namespace socklab::filexfer
