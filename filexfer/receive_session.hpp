// recvfile's side of one connection, start to end: the header, the guards,
// the content into a part file, the verdict; or the course's classic
// protocol. Everything a connection needs arrives as a descriptor and a
// Receiver, so a test can drive it over a socketpair. It prints nothing:
// what happens goes to the Reporter it is given.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/trace.hpp"
#include "filexfer/protocol.hpp"

namespace socklab::filexfer {

struct ReceiveOptions {
  std::string dir_text = ".";   ///< the receive directory as the user wrote it (for messages)
  std::uint64_t max_size = 0;   ///< 0: no limit
  unsigned max_transfers = 16;  ///< connections served at once
  double idle_timeout = 60;     ///< seconds a peer may be silent
  bool overwrite = false;       ///< replace files that exist
};

/// What became of one file (or empty directory), for the line or JSON
/// object recvfile prints.
struct FileReport {
  enum class Kind { received, rejected, refused, have, directory };
  Kind kind = Kind::received;
  std::string peer;
  std::string path;  ///< as sent ("photos/a.jpg"); empty when the path itself was refused
  std::uint64_t size = 0;
  Sha256 sha256{};     ///< received or have: the file's hash
  std::string reason;  ///< rejected or refused: the guard and why
  std::uint64_t resumed_from = 0;
  bool classic = false;  ///< came by the course's protocol: nothing was verified
};

/// The totals of one connection, when it ends.
struct ConnectionReport {
  std::string peer;
  std::uint64_t files = 0, bytes = 0, have = 0, failed = 0;
  double seconds = 0;
};

/// Where connections report; called from every connection's thread.
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void file(const FileReport& report) = 0;
  /// A log line ("open 127.0.0.1:5000", "refused ...").
  virtual void log(std::string_view line) = 0;
  /// `done` of the current file's `size` bytes; `hello` carries the run's
  /// totals when the sender announced them (version 2).
  virtual void progress(const std::string& peer, const std::string& path, std::uint64_t done,
                        std::uint64_t size, const Hello& hello, std::uint64_t files_done,
                        std::uint64_t bytes_done) = 0;
  virtual void connection(const ConnectionReport& report) = 0;
};

struct Session;

/// What every connection of one recvfile shares: the options, the receive
/// directory, and the part files being written, so that a newer transfer of
/// a file takes over from an older one that has stalled or whose sender is
/// gone, and two connections never write one part at once.
class Receiver {
 public:
  Receiver(ReceiveOptions options, int dir_fd, const Tracer& tracer, Reporter& reporter);
  /// Serves the connection on `fd` (owned) to its end; its failures stay
  /// here. True when every file arrived whole and good (or was there already).
  bool serve(int fd, const std::string& peer, bool over_limit, bool allowed_peer);

  const ReceiveOptions& options() const { return options_; }
  int dir_fd() const { return dir_fd_; }
  const Tracer& tracer() const { return tracer_; }
  Reporter& reporter() { return reporter_; }

  /// Makes `session` the only writer of the part `key`. A connection that
  /// holds it already is stopped (its socket shut down: a newer transfer of
  /// the same file means the older one's sender was interrupted), and this
  /// waits until it has let go, at most the idle timeout. The error is a
  /// refusal ("busy: ..."). Claims are held through a Claim (part_claim.hpp).
  Result<void> claim(const std::string& key, Session& session);
  void release(const std::string& key);

 private:
  ReceiveOptions options_;
  int dir_fd_;
  const Tracer& tracer_;
  Reporter& reporter_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::map<std::string, Session*> parts_;  // part path -> the connection writing it
};

}  // namespace socklab::filexfer
