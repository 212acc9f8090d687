// A connection's start and end: [4] the first byte tells the protocol
// (verified begins with NUL, a classic name cannot), then its room serves
// it (receive_verified.cpp, receive_classic.cpp); [9] close and totals.
#include "filexfer/receive_session.hpp"

#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

#include "common/error.hpp"
#include "filexfer/session.hpp"

namespace socklab::filexfer {

Receiver::Receiver(ReceiveOptions options, int dir_fd, const Tracer& tracer, Reporter& reporter)
    : options_(std::move(options)), dir_fd_(dir_fd), tracer_(tracer), reporter_(reporter) {}

bool Receiver::serve(int fd, const std::string& peer, bool over_limit, bool allowed_peer) {
  Session s(*this, fd, peer);
  s.totals.peer = peer;
  const auto start = std::chrono::steady_clock::now();
  bool ok = false;
  try {
    const std::string_view first = s.conn.peek("read");
    if (first.empty()) {
      reporter_.log("close " + peer + " (sent nothing)");
      return false;
    }
    ok = first[0] == '\0' ? receive_verified(s, over_limit, allowed_peer)
                          : receive_classic(s, over_limit, allowed_peer);
  } catch (const std::exception& e) {
    const auto* step = dynamic_cast<const StepError*>(&e);
    reporter_.log("failed " + peer + ": " + (step ? step->step() + ": " + step->reason() : e.what()));
  }
  tracer_.step(9, "close", peer, calls::close);
  s.totals.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reporter_.connection(s.totals);
  return ok;
}

}  // namespace socklab::filexfer
