// Dialing a TCP peer with a time limit, for sendfile: the course's
// net.Dial, with a timeout and the reason in words when nothing answers.
#pragma once

#include <cstdint>
#include <string>

#include "common/endpoint.hpp"

namespace socklab::filexfer {

/// Connects to HOST[:PORT] within `timeout` seconds; `peer` gets its address.
int connect_tcp(const std::string& text, std::uint16_t default_port, Family family, double timeout,
                std::string& peer);

}  // namespace socklab::filexfer
