#include "graph/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace socklab::graph {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

// A tick step of 1, 2 or 5 times a power of ten giving about `count` ticks.
double nice_step(double range, int count) {
  if (!(range > 0)) return 1;
  const double rough = range / count;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= rough) return m * power;
  }
  return 10 * power;
}

// Bytes in decimal units, as the ticks fall on decimal steps.
std::string bytes_label(double v) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (std::fabs(v) >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, v == std::floor(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

std::string seconds_label(double v, double step) {
  char text[32];
  std::snprintf(text, sizeof text,
                step >= 1      ? "%.0f s"
                : step >= 0.1  ? "%.1f s"
                : step >= 0.01 ? "%.2f s"
                               : "%.3f s",
                v);
  return text;
}

struct MarkStyle {
  const char* css;
  const char* colour;
};
MarkStyle mark_style(Mark m) {
  switch (m) {
    case Mark::retransmission:
      return {"retransmission", "#d62728"};
    case Mark::duplicate_ack:
      return {"duplicate-ack", "#e377c2"};
    case Mark::zero_window:
      return {"zero-window", "#8c1c13"};
    case Mark::window_probe:
      return {"window-probe", "#ff7f0e"};
    case Mark::out_of_order:
      return {"out-of-order", "#17becf"};
  }
  return {"mark", "#000000"};
}

void polyline(std::ostringstream& out, const std::vector<Point>& points, const char* css, const char* colour,
              double (SvgLayout::*y)(double) const, const SvgLayout& l, bool dashed = false) {
  if (points.empty()) return;
  out << "<polyline class=\"" << css << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2.5\"";
  if (dashed) out << " stroke-dasharray=\"8 5\"";
  out << " points=\"";
  for (const auto& p : points) out << num(l.x(p.time)) << ',' << num((l.*y)(p.value)) << ' ';
  out << "\"/>\n";
}

}  // namespace

double SvgLayout::x(double seconds) const {
  return left + (seconds - t_low) / (t_high - t_low) * (right - left);
}
double SvgLayout::seq_y(double bytes) const {
  return seq_bottom - (bytes - seq_low) / (seq_high - seq_low) * (seq_bottom - seq_top);
}
double SvgLayout::info_y(double bytes) const {
  return info_bottom - bytes / info_high * (info_bottom - info_top);
}

SvgLayout svg_layout(const Series& s, const SvgOptions& o) {
  SvgLayout l;
  l.left = 120;
  l.right = std::max(l.left + 100, o.width - 230.0);  // the legend on the right
  l.seq_top = 70;
  const double plots = std::max(200.0, o.height - 70.0 - 70.0);  // title above, time axis below
  l.seq_bottom = l.seq_top + plots * 0.66;
  l.info_top = l.seq_bottom + 40;
  l.info_bottom = l.seq_top + plots;
  l.t_low = s.start;
  l.t_high = s.end > s.start ? s.end : s.start + 1;
  l.seq_low = static_cast<double>(s.seq_low);
  l.seq_high = s.seq_high > s.seq_low ? static_cast<double>(s.seq_high) : l.seq_low + 1;
  l.info_high = s.info_high > 0 ? s.info_high : 1;
  return l;
}

std::string write_svg(const Series& s, const SvgOptions& o) {
  const SvgLayout l = svg_layout(s, o);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
      << "\" viewBox=\"0 0 " << o.width << ' ' << o.height
      << "\" font-family=\"sans-serif\" font-size=\"18\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<title>" << escape(o.title) << "</title>\n"
      << "<text class=\"title\" x=\"" << num(l.left) << "\" y=\"40\" font-size=\"24\" font-weight=\"bold\">"
      << escape(o.title) << "</text>\n";

  // Axes: frames, ticks and labels with their units.
  const double t_step = nice_step(l.t_high - l.t_low, 8);
  const double seq_step = nice_step(l.seq_high - l.seq_low, 8);
  const double info_step = nice_step(l.info_high, 4);
  out << "<g class=\"axes\" stroke=\"#888\" fill=\"none\">\n"
      << "<rect x=\"" << num(l.left) << "\" y=\"" << num(l.seq_top) << "\" width=\"" << num(l.right - l.left)
      << "\" height=\"" << num(l.seq_bottom - l.seq_top) << "\"/>\n"
      << "<rect x=\"" << num(l.left) << "\" y=\"" << num(l.info_top) << "\" width=\"" << num(l.right - l.left)
      << "\" height=\"" << num(l.info_bottom - l.info_top)
      << "\"/>\n</g>\n<g class=\"ticks\" font-size=\"16\">\n";
  for (int i = 0; i <= 100; ++i) {
    const double t = std::ceil(l.t_low / t_step) * t_step + i * t_step;
    if (t > l.t_high + t_step * 1e-9) break;
    out << "<text x=\"" << num(l.x(t)) << "\" y=\"" << num(l.info_bottom + 24) << "\" text-anchor=\"middle\">"
        << seconds_label(t, t_step) << "</text>\n";
  }
  for (int i = 0; i <= 100; ++i) {
    const double v = std::ceil(l.seq_low / seq_step) * seq_step + i * seq_step;
    if (v > l.seq_high + seq_step * 1e-9) break;
    out << "<text x=\"" << num(l.left - 8) << "\" y=\"" << num(l.seq_y(v) + 6) << "\" text-anchor=\"end\">"
        << bytes_label(v) << "</text>\n";
  }
  for (int i = 0; i <= 100; ++i) {
    const double v = i * info_step;
    if (v > l.info_high + info_step * 1e-9) break;
    out << "<text x=\"" << num(l.left - 8) << "\" y=\"" << num(l.info_y(v) + 6) << "\" text-anchor=\"end\">"
        << bytes_label(v) << "</text>\n";
  }
  out << "</g>\n"
      << "<text x=\"" << num((l.left + l.right) / 2) << "\" y=\"" << num(l.info_bottom + 52)
      << "\" text-anchor=\"middle\">time (seconds since the first segment)</text>\n"
      << "<text transform=\"translate(24," << num((l.seq_top + l.seq_bottom) / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">sequence number (bytes, relative)</text>\n"
      << "<text transform=\"translate(24," << num((l.info_top + l.info_bottom) / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">bytes</text>\n";

  // The sequence panel: data bars as one path, SACK ranges, the lines, marks.
  if (!s.data.empty()) {
    out << "<path class=\"data\" stroke=\"#1f3b73\" stroke-width=\"2\" d=\"";
    for (const auto& b : s.data) {
      out << 'M' << num(l.x(b.time)) << ' ' << num(l.seq_y(static_cast<double>(b.low))) << 'V'
          << num(std::min(l.seq_y(static_cast<double>(b.low)) - 1.5, l.seq_y(static_cast<double>(b.high))));
    }
    out << "\"/>\n";
  }
  if (!s.sack.empty()) {
    out << "<path class=\"sack\" stroke=\"#9467bd\" stroke-width=\"4\" d=\"";
    for (const auto& b : s.sack) {
      out << 'M' << num(l.x(b.time) + 3) << ' ' << num(l.seq_y(static_cast<double>(b.low))) << 'V'
          << num(l.seq_y(static_cast<double>(b.high)));
    }
    out << "\"/>\n";
  }
  polyline(out, s.ack, "ack", "#2ca02c", &SvgLayout::seq_y, l);
  polyline(out, s.window_edge, "window-edge", "#bcbd22", &SvgLayout::seq_y, l);
  for (const auto& m : s.marks) {
    const auto style = mark_style(m.mark);
    out << "<circle class=\"mark " << style.css << "\" cx=\"" << num(l.x(m.time)) << "\" cy=\""
        << num(l.seq_y(static_cast<double>(m.seq))) << "\" r=\"6\" fill=\"none\" stroke=\"" << style.colour
        << "\" stroke-width=\"2.5\" data-time=\"" << m.time << "\" data-seq=\"" << m.seq << "\" data-count=\""
        << m.count << "\"><title>" << mark_name(m.mark) << " x" << m.count << "</title></circle>\n";
  }

  // The TCP_INFO panel.
  polyline(out, s.cwnd, "cwnd", "#d62728", &SvgLayout::info_y, l);
  polyline(out, s.in_flight, "in-flight", "#1f77b4", &SvgLayout::info_y, l);
  polyline(out, s.rwnd, "rwnd", "#bcbd22", &SvgLayout::info_y, l);
  polyline(out, s.ssthresh, "ssthresh", "#7f7f7f", &SvgLayout::info_y, l, true);

  // The legend: only what is drawn.
  struct Entry {
    bool shown;
    std::string label;
    const char* colour;
    bool dot;
  };
  std::vector<Entry> legend = {
      {!s.data.empty(), "data segment", "#1f3b73", false},
      {!s.ack.empty(), "ACK", "#2ca02c", false},
      {!s.window_edge.empty(), "receive window edge", "#bcbd22", false},
      {!s.sack.empty(), "SACK block", "#9467bd", false},
  };
  bool seen[mark_count] = {};
  for (const auto& m : s.marks) seen[static_cast<std::size_t>(m.mark)] = true;
  for (std::size_t k = 0; k < mark_count; ++k) {
    const auto m = static_cast<Mark>(k);
    legend.push_back({seen[k], mark_name(m), mark_style(m).colour, true});
  }
  legend.push_back({!s.cwnd.empty(), "cwnd (TCP_INFO)", "#d62728", false});
  legend.push_back({!s.in_flight.empty(), "bytes in flight", "#1f77b4", false});
  legend.push_back({!s.rwnd.empty(), "peer's window", "#bcbd22", false});
  legend.push_back({!s.ssthresh.empty(), "ssthresh", "#7f7f7f", false});
  out << "<g class=\"legend\">\n";
  double y = l.seq_top + 10;
  for (const auto& e : legend) {
    if (!e.shown) continue;
    const double x = l.right + 20;
    if (e.dot) {
      out << "<circle cx=\"" << num(x + 12) << "\" cy=\"" << num(y) << "\" r=\"6\" fill=\"none\" stroke=\""
          << e.colour << "\" stroke-width=\"2.5\"/>\n";
    } else {
      out << "<line x1=\"" << num(x) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x + 24) << "\" y2=\""
          << num(y) << "\" stroke=\"" << e.colour << "\" stroke-width=\"3\"/>\n";
    }
    out << "<text x=\"" << num(x + 32) << "\" y=\"" << num(y + 6) << "\">" << escape(e.label) << "</text>\n";
    y += 28;
  }
  out << "</g>\n</svg>\n";
  return out.str();
}

}  // namespace socklab::graph
