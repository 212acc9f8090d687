// What recvfile prints: a line per file on stdout ("received ..."), or one
// JSON object per file with --json; the log on stdout (stderr with --json);
// the progress of the connection that moved last on a terminal.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "filexfer/receive_session.hpp"
#include "filexfer/run_progress.hpp"

namespace socklab::filexfer {

struct PrintOptions {
  std::string dir_text = ".";  ///< the receive directory as the user wrote it
  bool json = false;           ///< one JSON object per file and connection on stdout
  bool quiet = false;          ///< no log lines, no progress
};

/// The Reporter of recvfile: every connection's thread prints through it.
class Printer : public Reporter {
 public:
  explicit Printer(PrintOptions options);

  void file(const FileReport& r) override;
  void log(std::string_view text) override;
  void progress(const std::string& peer, const std::string& path, std::uint64_t done, std::uint64_t size,
                const Hello& hello, std::uint64_t files_done, std::uint64_t bytes_done) override;
  void connection(const ConnectionReport& c) override;

 private:
  void file_json(const FileReport& r, const std::string& where);
  // A log line: stdout, or stderr when stdout carries JSON; -q silences it.
  void line(std::string_view text);
  void clear_progress();
  const PrintOptions options_;
  const bool terminal_;
  std::mutex mutex_;
  std::optional<RunProgress> progress_;
  std::string peer_;  // whose transfer the progress lines show
};

}  // namespace socklab::filexfer
