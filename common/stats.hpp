// Latency summaries (min/avg/p50/p99/max) for load and probe modes.
#pragma once

#include <vector>

namespace socklab {

/// Summary of a set of samples (for example round-trip times in ms).
struct Summary {
  std::size_t count = 0;
  double min = 0, avg = 0, p50 = 0, p99 = 0, max = 0;
};

/// The p-th percentile (0..100) of sorted samples, nearest-rank method:
/// the smallest sample with at least p% of the samples at or below it.
double percentile(const std::vector<double>& sorted, double p);

/// Sorts `samples` and summarises them; all zero when empty.
Summary summarize(std::vector<double> samples);

}  // namespace socklab
