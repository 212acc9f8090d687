// Step [7] of the verified protocol: the bytes of one accepted file, from
// the network into its part file.
#pragma once

#include "filexfer/protocol.hpp"

namespace socklab::filexfer {

struct Session;
struct ReceivedFile;

/// The file's bytes from r.resumed_from to its end into r.part, hashed into
/// r.hash. A broken connection, a takeover or a failed disk throws
/// StepError; a disk failure first tells the sender why (in a verdict).
void receive_content(Session& s, const FileHeader& h, ReceivedFile& r);

}  // namespace socklab::filexfer
