#include "graph/time_sequence.hpp"

#include <algorithm>
#include <cmath>

namespace socklab::graph {
namespace {
constexpr double max_span = 1e7;  // seconds: about 116 days
}  // namespace

const char* mark_name(Mark mark) {
  switch (mark) {
    case Mark::retransmission:
      return "retransmission";
    case Mark::duplicate_ack:
      return "duplicate ACK";
    case Mark::zero_window:
      return "zero window";
    case Mark::window_probe:
      return "window probe";
    case Mark::out_of_order:
      return "out of order";
  }
  return "mark";
}

TimeSequenceGraph::TimeSequenceGraph(std::size_t buckets, double initial_span)
    // An even count, at least 2: doubling the span merges buckets in pairs.
    : buckets_(std::max<std::size_t>(2, buckets + buckets % 2)),
      span_(std::isfinite(initial_span) ? std::clamp(initial_span, 1e-6, max_span) : 1.0) {}

void TimeSequenceGraph::double_span() {
  const std::size_t half = buckets_.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    Bucket merged = buckets_[2 * i];
    merge(merged, buckets_[2 * i + 1]);
    buckets_[i] = merged;
  }
  std::fill(buckets_.begin() + static_cast<std::ptrdiff_t>(half), buckets_.end(), Bucket{});
  span_ *= 2;
}

void TimeSequenceGraph::merge(Bucket& into, const Bucket& from) {
  if (from.segments > 0) {
    if (into.segments == 0) {
      into.data_time = from.data_time;
      into.low = from.low;
      into.high = from.high;
    } else {
      into.low = std::min(into.low, from.low);
      into.high = std::max(into.high, from.high);
    }
    into.segments += from.segments;
  }
  if (from.has_ack) {
    if (!into.has_ack) into.ack_time = from.ack_time;
    into.ack = into.has_ack ? std::max(into.ack, from.ack) : from.ack;
    if (from.edge_time >= into.edge_time) {
      into.edge = from.edge;
      into.edge_time = from.edge_time;
    }
    into.has_ack = true;
  }
  if (from.has_sack) {
    into.sack_low = into.has_sack ? std::min(into.sack_low, from.sack_low) : from.sack_low;
    into.sack_high = into.has_sack ? std::max(into.sack_high, from.sack_high) : from.sack_high;
    into.has_sack = true;
  }
  for (std::size_t k = 0; k < mark_count; ++k) {
    if (from.marks[k].count == 0) continue;
    if (into.marks[k].count == 0) {
      into.marks[k] = from.marks[k];
    } else {
      into.marks[k].count += from.marks[k].count;
    }
  }
  if (from.has_info) {
    if (from.info_time >= into.info_time) {
      into.info = from.info;
      into.info_time = from.info_time;
    }
    into.max_in_flight =
        into.has_info ? std::max(into.max_in_flight, from.max_in_flight) : from.max_in_flight;
    into.has_info = true;
  }
}

TimeSequenceGraph::Bucket* TimeSequenceGraph::bucket_for(double time) {
  if (!std::isfinite(time)) return nullptr;
  if (!origin_) origin_ = time;
  const double t = std::max(0.0, time - *origin_);
  // A time past max_span (a clock jump, a corrupt capture) would squeeze the
  // whole graph into its first bucket: it is dropped instead.
  if (t > max_span) return nullptr;
  while (t >= span_) double_span();  // at most log2(max_span / initial span) times
  last_time_ = std::max(last_time_, t);
  const auto n = buckets_.size();
  const auto index = std::min(n - 1, static_cast<std::size_t>(t / span_ * static_cast<double>(n)));
  return &buckets_[index];
}

void TimeSequenceGraph::add(const SegmentIn& s) {
  Bucket* b = bucket_for(s.time);
  if (b == nullptr) return;
  ++segments_fed_;
  const double t = s.time - *origin_;
  if (s.data_direction && s.length > 0) {
    const std::uint64_t end = s.seq + s.length;
    if (b->segments == 0) {
      b->data_time = t;
      b->low = s.seq;
      b->high = end;
    } else {
      b->low = std::min(b->low, s.seq);
      b->high = std::max(b->high, end);
    }
    ++b->segments;
  }
  if (!s.data_direction && s.ack) {
    if (!b->has_ack) b->ack_time = t;
    b->ack = b->has_ack ? std::max(b->ack, *s.ack) : *s.ack;
    if (t >= b->edge_time) {
      b->edge = *s.ack + s.window;
      b->edge_time = t;
    }
    b->has_ack = true;
    for (const auto& [left, right] : s.sack) {
      if (right <= left) continue;
      b->sack_low = b->has_sack ? std::min(b->sack_low, left) : left;
      b->sack_high = b->has_sack ? std::max(b->sack_high, right) : right;
      b->has_sack = true;
    }
  }
  // A mark sits where its segment is drawn: on the data bar, or on the ACK line.
  const std::uint64_t where = s.data_direction || !s.ack ? s.seq : *s.ack;
  for (Mark m : s.marks) {
    auto& cell = b->marks[static_cast<std::size_t>(m)];
    if (cell.count++ == 0) {
      cell.seq = where;
      cell.time = t;
    }
  }
}

void TimeSequenceGraph::add(const InfoIn& info) {
  Bucket* b = bucket_for(info.time);
  if (b == nullptr) return;
  ++infos_fed_;
  const double t = info.time - *origin_;
  if (t >= b->info_time) {
    b->info = info;
    b->info.time = t;
    b->info_time = t;
  }
  b->max_in_flight = b->has_info ? std::max(b->max_in_flight, info.in_flight_bytes) : info.in_flight_bytes;
  b->has_info = true;
}

Series TimeSequenceGraph::series() const {
  Series out;
  out.end = last_time_;
  out.segments_fed = segments_fed_;
  out.infos_fed = infos_fed_;
  bool any = false;
  auto extend = [&](std::uint64_t low, std::uint64_t high) {
    out.seq_low = any ? std::min(out.seq_low, low) : low;
    out.seq_high = any ? std::max(out.seq_high, high) : high;
    any = true;
  };
  auto panel = [&](std::vector<Point>& line, double time, double value) {
    line.push_back({time, value});
    out.info_high = std::max(out.info_high, value);
  };
  for (const Bucket& b : buckets_) {
    if (b.segments > 0) {
      out.data.push_back({b.data_time, b.low, b.high, b.segments});
      extend(b.low, b.high);
    }
    if (b.has_ack) {
      out.ack.push_back({b.ack_time, static_cast<double>(b.ack)});
      out.window_edge.push_back({b.edge_time, static_cast<double>(b.edge)});
      extend(std::min(b.ack, b.edge), std::max(b.ack, b.edge));
    }
    if (b.has_sack) {
      out.sack.push_back({b.ack_time, b.sack_low, b.sack_high, 1});
      extend(b.sack_low, b.sack_high);
    }
    for (std::size_t k = 0; k < mark_count; ++k) {
      const auto& cell = b.marks[k];
      if (cell.count == 0) continue;
      out.marks.push_back({cell.time, cell.seq, static_cast<Mark>(k), cell.count});
      extend(cell.seq, cell.seq);
    }
    if (b.has_info) {
      panel(out.cwnd, b.info_time, static_cast<double>(b.info.cwnd_bytes));
      panel(out.in_flight, b.info_time, static_cast<double>(b.max_in_flight));
      if (b.info.rwnd_bytes) panel(out.rwnd, b.info_time, static_cast<double>(*b.info.rwnd_bytes));
      if (b.info.ssthresh_bytes)
        panel(out.ssthresh, b.info_time, static_cast<double>(*b.info.ssthresh_bytes));
    }
  }
  return out;
}

std::size_t TimeSequenceGraph::stored_points() const {
  std::size_t n = 0;
  for (const Bucket& b : buckets_) {
    n += (b.segments > 0 ? 1 : 0) + (b.has_ack ? 2 : 0) + (b.has_sack ? 1 : 0) + (b.has_info ? 4 : 0);
    for (const auto& cell : b.marks) n += cell.count > 0 ? 1 : 0;
  }
  return n;
}

}  // namespace socklab::graph
