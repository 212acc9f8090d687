// The ladder lines of one connection, as evidence under a check: the
// segments the capture saw between the grader's client port and the
// program's port, each with the states they leave both sides in. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/segment.hpp"

namespace socklab {

/// "+0.002s client -> server  FIN+ACK seq 5 ack 5  client FIN_WAIT_2, server CLOSE_WAIT"
/// for every segment of the connection client_port <-> server_port, from its
/// first FIN on when `from_fin` (the teardown), else all of it; at most `max`
/// lines (the last ones).
std::vector<std::string> ladder_evidence(const std::vector<Segment>& segments, std::uint16_t client_port,
                                         std::uint16_t server_port, bool from_fin, std::size_t max);

}  // namespace socklab
