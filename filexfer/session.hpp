// The state of one connection of recvfile, shared by the files that serve
// it: the verified protocol (receive_verified.cpp, its bytes in
// content.hpp), the classic one (receive_classic.cpp), and the parts both
// use: claims (part_claim.hpp), the final name (target.hpp), refusals
// (refusals.hpp), the batched commit (commit.hpp). Internal to filexfer:
// recvfile sees only receive_session.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "filexfer/beneath.hpp"
#include "filexfer/connection.hpp"
#include "filexfer/part_claim.hpp"
#include "filexfer/part_file.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/receive_session.hpp"
#include "filexfer/sha256.hpp"

namespace socklab::filexfer {

/// Bytes read from the socket (and from a part being resumed) at a time.
inline constexpr std::size_t chunk_size = 1 << 20;
/// A file at least this big is written with O_DIRECT (PartFile::append) on
/// the PartWriter's thread; a smaller one through the page cache on the
/// connection's thread, where many are flushed together.
inline constexpr std::uint64_t direct_from = 8 << 20;

/// A file received whole, waiting for its commit and verdict. The claim is
/// declared first so that it is given back after the part is closed.
struct ReceivedFile {
  Claim claim;
  std::unique_ptr<PartFile> part;
  std::string path;  ///< as sent ("photos/a.jpg")
  std::string leaf;  ///< its last component, the name in the part's directory
  std::uint64_t size = 0;
  std::uint64_t resumed_from = 0;
  Hasher hash;  ///< from byte 0: a resumed part's bytes are hashed before the rest arrives
  Sha256 digest{};
  Verdict verdict;
};

/// One connection: its socket, buffer, directories, and the files received
/// whole whose verdicts wait for one flush to disk together.
struct Session {
  Session(Receiver& r, int fd, std::string from)
      : receiver(r), conn(fd, r.options().idle_timeout), peer(std::move(from)), beneath(r.dir_fd()) {}
  Receiver& receiver;
  Connection conn;
  std::string peer;
  Beneath beneath;
  std::atomic<bool> taken_over{false};  ///< a newer transfer of one of its files took over
  IoBuffer buffer{};  ///< allocated with the first accepted file: refused peers cost no memory
  std::unique_ptr<PartWriter> writer{};  ///< started with the first big file
  Hello hello{};
  ConnectionReport totals{};
  std::vector<std::unique_ptr<ReceivedFile>> pending{};  ///< whole, waiting for the next flush
  std::uint64_t pending_bytes = 0;
  std::uint64_t promised = 0;  ///< bytes accepted in this group whose content has not come yet
};

/// The verified protocol (receive_verified.cpp): true when every file
/// arrived whole and good, or was there already.
bool receive_verified(Session& s, bool over_limit, bool allowed_peer);

/// The course's classic protocol (receive_classic.cpp): true when the one
/// file was received.
bool receive_classic(Session& s, bool over_limit, bool allowed_peer);

}  // namespace socklab::filexfer
