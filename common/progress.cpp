#include "common/progress.hpp"

#include <algorithm>
#include <cstdio>

namespace socklab {

std::string human_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

std::string Progress::line(const std::string& label, std::uint64_t done, std::uint64_t total,
                           double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  constexpr int width = 20;
  // More bytes than announced (a file that grew) fills the bar, never more.
  const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  char eta[32] = "";
  if (rate > 0 && done < total) {
    std::snprintf(eta, sizeof eta, "  ETA %.0f s", static_cast<double>(total - done) / rate);
  }
  char text[512];
  std::snprintf(text, sizeof text, "%s [%s] %s / %s %3.0f%%  %s/s%s", label.c_str(), bar.c_str(),
                human_bytes(static_cast<double>(done)).c_str(),
                human_bytes(static_cast<double>(total)).c_str(), fraction * 100, human_bytes(rate).c_str(),
                eta);
  return text;
}

}  // namespace socklab
