#include "filexfer/refusals.hpp"

#include "filexfer/guards.hpp"
#include "filexfer/session.hpp"

namespace socklab::filexfer {

Failure over_max_transfers(unsigned max_transfers) {
  return Failure{"max-transfers: " + std::to_string(max_transfers) + " transfers already running"};
}

Failure not_allowed(const std::string& peer) { return Failure{"allow: " + peer + " is not in --allow"}; }

void report_refusal(Session& s, const std::string& path, const std::string& reason, bool classic) {
  FileReport r;
  r.kind = FileReport::Kind::refused;
  r.peer = s.peer;
  const bool safe = classic ? check_name(path).ok() : check_path(path).ok();
  r.path = safe ? path : std::string();
  r.reason = reason;
  r.classic = classic;
  s.receiver.reporter().file(r);
}

void refuse_offer(Session& s, const std::string& path, const std::string& reason) {
  s.conn.write_all(encode(Answer{false, 0, reason}), "write answer");
  s.receiver.tracer().step(5, "write answer", "refused: " + reason, calls::write);
  report_refusal(s, path, reason, false);
  ++s.totals.failed;
}

void refuse_connection(Session& s, const std::string& reason) {
  s.conn.write_all(encode(Answer{false, 0, reason}), "write answer");
  s.receiver.reporter().log("refused a file from " + s.peer + ": " + reason);
}

}  // namespace socklab::filexfer
