// How a transfer's progress reads: sizes for people and the one-line bar
// (bytes, percent, rate, time left). No I/O here: the file transfer's
// RunProgress draws the line on the terminal, and unit tests read it.
#pragma once

#include <cstdint>
#include <string>

namespace socklab {

struct Progress {
  /// The bar for `done` bytes of `total` after `seconds`.
  static std::string line(const std::string& label, std::uint64_t done, std::uint64_t total, double seconds);
};

/// "1.5 MiB", "512 B": sizes for people.
std::string human_bytes(double bytes);

}  // namespace socklab
