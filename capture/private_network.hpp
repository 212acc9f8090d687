// A network namespace of our own: only its loopback, up, where an
// unprivileged user may capture (user namespaces) and where a course
// program's hard-coded 127.0.0.1 ports are free.
#pragma once

#include "common/result.hpp"

namespace socklab {

/// Moves this process into a network namespace of its own with only its
/// loopback, up. As root: a plain new network namespace. Otherwise: a new
/// user namespace (our uid and gid mapped to themselves) owning a new network
/// namespace, which gives this process, until it execs, the capabilities to
/// capture there; the commands it starts run as the same user as before.
Result<void> enter_private_network();

}  // namespace socklab
