// The TCP state machine (RFC 793 figure 6, with the course's names) drawn
// in the terminal: boxes for states, arrows labelled "event / segment sent".
#pragma once

#include <set>
#include <string>

#include "capture/state.hpp"

namespace socklab {

/// The diagram, one string of lines. Highlighted states are drawn in
/// reverse video when `colour` is on, else between '>' and '<' markers.
std::string render_diagram(const std::set<TcpState>& highlight, bool colour);

}  // namespace socklab
