#include "common/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "common/json.hpp"

namespace socklab {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  if (p <= 0) return sorted.front();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.avg = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = percentile(samples, 50);
  s.p99 = percentile(samples, 99);
  return s;
}

std::string to_text(const Summary& s) {
  char text[200];
  std::snprintf(text, sizeof text, "min %.3f avg %.3f p50 %.3f p99 %.3f max %.3f", s.min, s.avg, s.p50, s.p99,
                s.max);
  return text;
}

void to_json(Json& j, const Summary& s) {
  j = {{"min", s.min}, {"avg", s.avg}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

}  // namespace socklab
