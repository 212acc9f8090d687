// A standalone SVG of a time-sequence graph (graph/time_sequence.hpp): the
// sequence panel above, the TCP_INFO panel (cwnd, in flight, the peer's
// window, ssthresh) below on the same time axis, axes in bytes and seconds,
// a legend and a title. Sized and lettered to stay readable on a projector.
#pragma once

#include <cstdint>
#include <string>

#include "graph/time_sequence.hpp"

namespace socklab::graph {

struct SvgOptions {
  std::string title;  ///< e.g. "10.77.0.1:40000 -> 10.77.0.2:5001"; escaped for XML
  int width = 1280;
  int height = 860;
};

/// Where the writer puts things: the plot areas and their scales, so a test
/// (or an HTML page linking to the points) can find a point in the picture.
struct SvgLayout {
  double left = 0, right = 0;            ///< the plot area's x range (both panels)
  double seq_top = 0, seq_bottom = 0;    ///< the sequence panel's y range
  double info_top = 0, info_bottom = 0;  ///< the TCP_INFO panel's y range
  double t_low = 0, t_high = 1;          ///< seconds at left and right
  double seq_low = 0, seq_high = 1;      ///< bytes at seq_bottom and seq_top
  double info_high = 1;                  ///< bytes at info_top (0 at info_bottom)

  double x(double seconds) const;
  double seq_y(double bytes) const;
  double info_y(double bytes) const;
};

/// The layout write_svg uses for these series and options.
SvgLayout svg_layout(const Series& series, const SvgOptions& options);

/// The whole SVG document. Every mark is a <circle class="mark KIND"> with
/// data-time and data-seq attributes (KIND: retransmission, duplicate-ack,
/// zero-window, window-probe, out-of-order).
std::string write_svg(const Series& series, const SvgOptions& options);

}  // namespace socklab::graph
