// sendfile's side of the verified protocol, one step a call: the hello,
// [4] a group of offers, [5] their answers, [6] each accepted file's bytes
// and trailer, [7] the verdicts (read as they come, in file order) and END.
// sendfile.cpp's send_verified puts them in sequence.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/trace.hpp"
#include "filexfer/connection.hpp"
#include "filexfer/send_run.hpp"
#include "filexfer/sources.hpp"

namespace socklab::filexfer {

class VerifiedSender {
 public:
  /// An accepted file and the byte to send it from (a resume's offset).
  using Accepted = std::vector<std::pair<const Source*, std::uint64_t>>;

  VerifiedSender(Connection& conn, std::string peer, const Tracer& tracer, Run& run)
      : conn_(conn), peer_(std::move(peer)), tracer_(tracer), run_(run) {}

  /// The hello: the protocol's version and the run's totals.
  void hello(const std::vector<Source>& files);
  /// [4] The group's names and sizes, in one write.
  void offer(std::span<const Source> group);
  /// [5] The answers to the group, in order (verdicts of earlier files may
  /// come between them); refused and skipped files are done here.
  Accepted answers(std::span<const Source> group);
  /// [6] The content from `from`, then the trailer with the hash; the
  /// verdict comes later.
  void send(const Source& s, std::uint64_t from);
  /// END makes the receiver commit what it holds; then the last verdicts,
  /// and the write side is closed.
  void end();

 private:
  // A file sent whole, waiting for the receiver's verdict.
  struct Waiting {
    const Source* source;
    Sha256 digest;
    std::uint64_t from;
  };
  Answer read_answer();
  // What one answer means for `s`: the offset to send from, or nothing.
  std::optional<std::uint64_t> take_answer(const Source& s, const Answer& answer);
  // [7] a verdict: the oldest waiting file is on the receiver's disk, or not.
  void take_verdict(const Verdict& verdict);
  [[noreturn]] void explain_broken_send(const Source& s);

  Connection& conn_;
  const std::string peer_;
  const Tracer& tracer_;
  Run& run_;
  std::deque<Waiting> waiting_;
};

}  // namespace socklab::filexfer
