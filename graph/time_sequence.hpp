// The time-sequence graph of one direction of a TCP connection (Stevens;
// tcptrace draws the same): data segments as vertical bars at their time and
// sequence range, the ACK line under them, the receive-window edge above, SACK
// blocks and marks; under it, the sender's cwnd, bytes in flight and the
// peer's window from TCP_INFO on the same time axis. The model is pure and its
// memory is bounded: points are kept per time bucket (a fixed number of them,
// the output's resolution), never one per segment.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace socklab::graph {

/// What a segment is marked as (by the decoder that feeds the graph).
enum class Mark : std::uint8_t { retransmission, duplicate_ack, zero_window, window_probe, out_of_order };
inline constexpr std::size_t mark_count = 5;
/// "retransmission", "duplicate ACK", "zero window", "window probe", "out of order".
const char* mark_name(Mark mark);

/// One segment of the connection, in either direction. Sequence and ACK
/// numbers are relative to the graphed direction's initial sequence number
/// and already unwrapped (64 bits: a long transfer passes 4 GiB).
struct SegmentIn {
  double time = 0;             ///< seconds (any origin: the first one fed becomes 0)
  bool data_direction = true;  ///< true: sent by the graphed sender; false: the peer's (ACKs for it)
  std::uint64_t seq = 0;       ///< first byte's relative sequence number
  std::uint32_t length = 0;    ///< payload bytes (SYN and FIN count as none here)
  bool syn = false, fin = false, rst = false;
  std::optional<std::uint64_t> ack;  ///< relative ACK number, when the ACK flag is set
  std::uint64_t window = 0;          ///< advertised window, already scaled (bytes)
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sack;  ///< SACK blocks [left, right), relative
  std::vector<Mark> marks;
};

/// One sample of the sender's TCP_INFO, reduced to what the panel draws.
struct InfoIn {
  double time = 0;  ///< same clock as SegmentIn::time
  std::uint64_t cwnd_bytes = 0;
  std::uint64_t in_flight_bytes = 0;
  std::optional<std::uint64_t> rwnd_bytes;  ///< the peer's advertised window (tcpi_snd_wnd)
  std::optional<std::uint64_t> ssthresh_bytes;
};

/// A data bar: the sequence range [low, high) sent in one bucket.
struct Bar {
  double time;
  std::uint64_t low, high;
  std::uint32_t segments;
};
struct Point {
  double time;
  double value;
};
struct MarkPoint {
  double time;
  std::uint64_t seq;
  Mark mark;
  std::uint32_t count;  ///< how many of this mark fell in the bucket
};

/// What to draw, every list in time order, at most one entry per bucket (per mark kind).
struct Series {
  double start = 0, end = 0;                ///< the time axis, seconds from the first segment
  std::uint64_t seq_low = 0, seq_high = 0;  ///< the sequence axis: everything drawn lies inside
  std::vector<Bar> data;
  std::vector<Point> ack;          ///< highest ACK in each bucket
  std::vector<Point> window_edge;  ///< ack + window of each bucket's last ACK
  std::vector<Bar> sack;           ///< SACKed range above the ACK in each bucket
  std::vector<MarkPoint> marks;
  // The TCP_INFO panel (bytes).
  std::vector<Point> cwnd, in_flight, rwnd, ssthresh;
  double info_high = 0;  ///< the panel's value axis
  std::uint64_t segments_fed = 0, infos_fed = 0;
};

class TimeSequenceGraph {
 public:
  /// `buckets`: the time resolution (e.g. the plot's width in pixels or
  /// braille dots); `initial_span`: the first time span in seconds, doubled
  /// (two buckets merged into one) whenever a later time arrives. Times more
  /// than 10^7 s after the first, or not finite, are dropped.
  explicit TimeSequenceGraph(std::size_t buckets = 1000, double initial_span = 1.0);

  void add(const SegmentIn& segment);
  void add(const InfoIn& info);

  Series series() const;

  /// Points held now (non-empty bucket entries): at most buckets x a constant.
  std::size_t stored_points() const;
  std::size_t buckets() const { return buckets_.size(); }
  double span() const { return span_; }

 private:
  struct MarkCell {
    std::uint32_t count = 0;
    std::uint64_t seq = 0;
    double time = 0;
  };
  struct Bucket {
    std::uint32_t segments = 0;
    double data_time = 0;
    std::uint64_t low = 0, high = 0;
    bool has_ack = false;
    double ack_time = 0;
    std::uint64_t ack = 0;
    std::uint64_t edge = 0;  // of the latest ACK
    double edge_time = -1;
    bool has_sack = false;
    std::uint64_t sack_low = 0, sack_high = 0;
    std::array<MarkCell, mark_count> marks{};
    bool has_info = false;
    double info_time = -1;
    InfoIn info{};  // the latest sample
    std::uint64_t max_in_flight = 0;
  };

  Bucket* bucket_for(double time);
  void double_span();
  static void merge(Bucket& into, const Bucket& from);

  std::vector<Bucket> buckets_;
  double span_;
  std::optional<double> origin_;
  double last_time_ = 0;
  std::uint64_t segments_fed_ = 0, infos_fed_ = 0;
};

}  // namespace socklab::graph
