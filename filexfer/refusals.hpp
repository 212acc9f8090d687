// recvfile's refusals: the reasons built from the options (each guard's
// text in one place) and how a refusal reaches the sender and the log.
// Every reason starts with its guard's name ("allow: ...").
#pragma once

#include <string>

#include "common/result.hpp"

namespace socklab::filexfer {

struct Session;

/// "max-transfers: N transfers already running".
Failure over_max_transfers(unsigned max_transfers);

/// "allow: PEER is not in --allow".
Failure not_allowed(const std::string& peer);

/// Reports the refused file `path` (left out when it fails its own guard:
/// it may hold a terminal's controls) with `reason`.
void report_refusal(Session& s, const std::string& path, const std::string& reason, bool classic);

/// Verified protocol, step [5]: answers an offer with the refusal, and
/// reports and counts it.
void refuse_offer(Session& s, const std::string& path, const std::string& reason);

/// Verified protocol: answers with a refusal that ends the connection (a
/// bad header, a peer --allow keeps out), and logs it.
void refuse_connection(Session& s, const std::string& reason);

}  // namespace socklab::filexfer
