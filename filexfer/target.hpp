// The final name of a file being received: whether something is there
// already, and what that means. Both protocols ask before they accept, so
// each refusal has one wording.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/result.hpp"
#include "filexfer/protocol.hpp"

namespace socklab::filexfer {

enum class Target {
  free,       ///< nothing there, or a regular file that --overwrite replaces
  same_size,  ///< a regular file of the announced size: perhaps the sender's file already
};

/// What is at `leaf` in directory `dir_fd` (`path` names it in refusals),
/// for a file of `size` bytes (nullopt: the classic protocol announces no
/// size, so any file there is in the way). The error is the refusal:
/// "exists: ..." (a symlink, not a regular file, or a file that only
/// --overwrite replaces) or "clash: ..." (a directory).
Result<Target> check_target(int dir_fd, const std::string& leaf, const std::string& path,
                            std::optional<std::uint64_t> size, bool overwrite);

/// The SHA-256 of the file at `leaf` in `dir_fd` (its first `size` bytes),
/// read into `buffer`; a failing read, or `stop`, throws StepError.
Sha256 hash_target(int dir_fd, const std::string& leaf, const std::string& path, std::uint64_t size,
                   std::span<char> buffer, const std::atomic<bool>& stop);

}  // namespace socklab::filexfer
