// sendfile's step [6]: a file's bytes onto the connection, and its SHA-256.
#pragma once

#include <cstdint>

#include "filexfer/connection.hpp"
#include "filexfer/protocol.hpp"
#include "filexfer/send_run.hpp"
#include "filexfer/sources.hpp"

namespace socklab::filexfer {

/// The content of `s` from byte `from` to its end, and the hash of all of
/// it. sendfile(2) moves the bytes from the page cache to the socket inside
/// the kernel; a big file is hashed at the same time on a second thread.
Sha256 send_content(Connection& conn, const Source& s, std::uint64_t from, Run& run);

/// The SHA-256 of the whole file `s` (to compare with the receiver's).
Sha256 hash_source(const Source& s);

}  // namespace socklab::filexfer
