// The batched commit of the verified protocol: the files received whole
// wait in Session::pending, then go to disk and under their names
// together, and only then do their verdicts go to the sender.
#pragma once

namespace socklab::filexfer {

struct Session;

/// Commits the waiting files, then sends their verdicts in file order.
void flush(Session& s);

/// flush() when the sender waits for the verdicts (nothing more has
/// arrived) or enough files are waiting.
void flush_if_due(Session& s);

}  // namespace socklab::filexfer
