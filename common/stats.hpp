// Latency summaries (min/avg/p50/p99/max) for load and probe modes, and the
// one way they are shown: a text line and a JSON object.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

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

/// "min 0.105 avg 3.630 p50 1.517 p99 33.254 max 133.945" (three decimals),
/// the end of tcp-client's "latency ms:" and udp-client's "rtt ms:" lines.
std::string to_text(const Summary& s);

/// {"min":..,"avg":..,"p50":..,"p99":..,"max":..}. nlohmann finds it, so
/// `Json{{"rtt_ms", summary}}` nests the object (Json: common/json.hpp).
void to_json(nlohmann::ordered_json& j, const Summary& s);

}  // namespace socklab
