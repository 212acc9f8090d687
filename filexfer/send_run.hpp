// What a run of sendfile has done, and how it shows it: progress lines on a
// terminal, a line (or JSON object) per file, the summary at the end. Each
// file's verdict is a value; this is the one place that prints it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filexfer/protocol.hpp"
#include "filexfer/run_progress.hpp"
#include "filexfer/sources.hpp"

namespace socklab::filexfer {

/// What became of one file (or empty directory) sendfile offered.
enum class SendVerdict {
  good,     ///< it arrived whole (verified, unless classic) and is in place
  bad,      ///< it arrived, but the receiver's check failed
  refused,  ///< the receiver would not take it
  skipped,  ///< the receiver has it already: same size and SHA-256
};

/// "good", "bad", "refused", "skipped": the JSON "verdict".
std::string_view verdict_name(SendVerdict verdict);

/// One file's end, as Run::done takes it.
struct Outcome {
  SendVerdict verdict = SendVerdict::good;
  std::optional<Sha256> digest{};  ///< the file's hash, when it was read
  std::string reason{};            ///< bad or refused: why, naming who said so
  std::uint64_t resumed_from = 0;
  std::uint64_t moved = 0;  ///< bytes that crossed the network
};

struct RunOptions {
  bool json = false;     ///< one JSON object per file and a summary on stdout
  bool classic = false;  ///< the course's protocol: nothing is verified
  bool quiet = false;    ///< no progress, no summary on the terminal
};

class Run {
 public:
  Run(RunOptions options, const std::vector<Source>& sources);

  /// `done` bytes of `s` have gone, `from` of them before this connection.
  void moving(const Source& s, std::uint64_t done, std::uint64_t from);
  /// The file `s` is done: counted, and its line (or object) printed.
  void done(const Source& s, const Outcome& outcome);
  /// The summary: on a terminal, and as the last JSON object.
  void finish();
  std::uint64_t failed() const { return totals_.failed; }

  /// The files (not directories) among `sources`, and their bytes.
  static std::uint64_t count(const std::vector<Source>& sources);
  static std::uint64_t bytes(const std::vector<Source>& sources);

 private:
  void print(const Source& s, const Outcome& outcome);
  RunOptions options_;
  RunProgress progress_;
  RunTotals totals_;
  const Source* current_ = nullptr;
  std::uint64_t started_ = 0;  // files whose content has begun to move
};

}  // namespace socklab::filexfer
