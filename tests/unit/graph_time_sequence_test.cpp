// graph/time_sequence: the time-sequence model keeps one entry per time
// bucket (and per mark kind), merges buckets in pairs as time goes on, and
// yields the series a writer draws.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "graph/time_sequence.hpp"

using socklab::graph::InfoIn;
using socklab::graph::Mark;
using socklab::graph::SegmentIn;
using socklab::graph::TimeSequenceGraph;

namespace {

SegmentIn data(double time, std::uint64_t seq, std::uint32_t length) {
  SegmentIn s;
  s.time = time;
  s.seq = seq;
  s.length = length;
  return s;
}

SegmentIn ack(double time, std::uint64_t ack, std::uint64_t window) {
  SegmentIn s;
  s.time = time;
  s.data_direction = false;
  s.ack = ack;
  s.window = window;
  return s;
}

}  // namespace

TEST_CASE("a few segments come out as bars, the ACK line and the window edge where they were") {
  TimeSequenceGraph g(100, 1.0);
  g.add(data(10.0, 0, 1000));  // the first time becomes 0
  g.add(data(10.1, 1000, 1000));
  g.add(ack(10.2, 2000, 65535));
  auto s = g.series();
  REQUIRE(s.data.size() == 2);
  CHECK(s.data[0].time == doctest::Approx(0.0));
  CHECK(s.data[0].low == 0);
  CHECK(s.data[0].high == 1000);
  CHECK(s.data[1].time == doctest::Approx(0.1));
  CHECK(s.data[1].low == 1000);
  REQUIRE(s.ack.size() == 1);
  CHECK(s.ack[0].time == doctest::Approx(0.2));
  CHECK(s.ack[0].value == 2000);
  REQUIRE(s.window_edge.size() == 1);
  CHECK(s.window_edge[0].value == 2000 + 65535);
  CHECK(s.seq_low == 0);
  CHECK(s.seq_high == 2000 + 65535);
  CHECK(s.end == doctest::Approx(0.2));
  CHECK(s.segments_fed == 3);
}

TEST_CASE("segments in one bucket make one bar spanning them") {
  TimeSequenceGraph g(10, 1.0);  // 0.1 s a bucket
  g.add(data(0.0, 0, 100));
  g.add(data(0.01, 100, 100));
  g.add(data(0.02, 50, 100));  // a retransmission inside the range
  auto s = g.series();
  REQUIRE(s.data.size() == 1);
  CHECK(s.data[0].low == 0);
  CHECK(s.data[0].high == 200);
  CHECK(s.data[0].segments == 3);
}

TEST_CASE("marks sit on the data bar or on the ACK line, counted per bucket") {
  TimeSequenceGraph g(10, 1.0);
  auto again = data(0.0, 5000, 1000);
  again.marks = {Mark::retransmission};
  g.add(again);
  auto dup = ack(0.5, 3000, 0);
  dup.marks = {Mark::duplicate_ack, Mark::zero_window};
  g.add(dup);
  g.add(dup);
  auto s = g.series();
  REQUIRE(s.marks.size() == 3);
  CHECK(s.marks[0].mark == Mark::retransmission);
  CHECK(s.marks[0].seq == 5000);
  CHECK(s.marks[0].time == doctest::Approx(0.0));
  CHECK(s.marks[1].mark == Mark::duplicate_ack);
  CHECK(s.marks[1].seq == 3000);
  CHECK(s.marks[1].count == 2);
  CHECK(s.marks[2].mark == Mark::zero_window);
  CHECK(std::string(socklab::graph::mark_name(Mark::window_probe)) == "window probe");
}

TEST_CASE("SACK blocks above the ACK are kept as one range per bucket") {
  TimeSequenceGraph g(10, 1.0);
  auto s1 = ack(0.0, 1000, 60000);
  s1.sack = {{3000, 4000}, {6000, 7000}};
  g.add(s1);
  auto s = g.series();
  REQUIRE(s.sack.size() == 1);
  CHECK(s.sack[0].low == 3000);
  CHECK(s.sack[0].high == 7000);
}

TEST_CASE("a later time doubles the span and merges buckets in pairs, keeping what was drawn") {
  TimeSequenceGraph g(4, 1.0);  // 0.25 s a bucket
  g.add(data(0.0, 0, 100));
  g.add(data(0.3, 100, 100));
  CHECK(g.series().data.size() == 2);
  g.add(data(1.5, 200, 100));  // the span becomes 2 s: 0 and 0.3 now share bucket 0
  CHECK(g.span() == doctest::Approx(2.0));
  auto s = g.series();
  REQUIRE(s.data.size() == 2);
  CHECK(s.data[0].low == 0);
  CHECK(s.data[0].high == 200);
  CHECK(s.data[0].segments == 2);
  CHECK(s.data[1].time == doctest::Approx(1.5));
}

TEST_CASE("the TCP_INFO panel keeps each bucket's last cwnd and highest in flight") {
  TimeSequenceGraph g(10, 1.0);
  g.add(data(0.0, 0, 100));
  g.add(InfoIn{0.01, 14480, 2896, 65536, std::nullopt});
  g.add(InfoIn{0.02, 28960, 1448, 65536, 20000});
  auto s = g.series();
  REQUIRE(s.cwnd.size() == 1);
  CHECK(s.cwnd[0].value == 28960);
  CHECK(s.cwnd[0].time == doctest::Approx(0.02));
  REQUIRE(s.in_flight.size() == 1);
  CHECK(s.in_flight[0].value == 2896);
  REQUIRE(s.rwnd.size() == 1);
  CHECK(s.rwnd[0].value == 65536);
  REQUIRE(s.ssthresh.size() == 1);
  CHECK(s.info_high == 65536);
}

TEST_CASE("times that cannot be placed are dropped, not drawn") {
  TimeSequenceGraph g(10, 1.0);
  g.add(data(1.0, 0, 100));
  g.add(data(0.5, 100, 100));  // before the first: drawn at 0
  g.add(data(std::nan(""), 200, 100));
  g.add(data(1e8, 300, 100));  // three years later: a clock jump
  auto s = g.series();
  CHECK(s.segments_fed == 2);
  REQUIRE(s.data.size() == 1);
  CHECK(s.data[0].high == 200);
}

TEST_CASE("a million segments: the points held stay bounded by the buckets") {
  constexpr std::size_t buckets = 500;
  TimeSequenceGraph g(buckets, 0.01);
  std::size_t most = 0;
  std::uint64_t seq = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double t = i * 1e-4;  // 100 s of 10 000 segments a second
    auto d = data(t, seq, 1448);
    if (i % 1000 == 0) d.marks = {Mark::retransmission};
    g.add(d);
    seq += 1448;
    if (i % 2 == 0) g.add(ack(t + 5e-5, seq, 1 << 20));
    if (i % 100 == 0) g.add(InfoIn{t, 100000, 50000, 1 << 20, std::nullopt});
    if (i % 10000 == 0) most = std::max(most, g.stored_points());
  }
  most = std::max(most, g.stored_points());
  // Per bucket at most: a bar, the ACK and edge, a SACK range, 5 marks, 4 panel points.
  CHECK(most <= buckets * 13);
  CHECK(g.buckets() == buckets);
  auto s = g.series();
  CHECK(s.data.size() <= buckets);
  CHECK(s.data.size() > buckets / 2);  // the time axis is well used
  CHECK(s.segments_fed == 1'500'000);
  CHECK(s.seq_high == seq - 1448 + (1 << 20));  // the last ACK leaves the last segment out
  std::uint32_t bars = 0;
  for (const auto& b : s.data) bars += b.segments;
  CHECK(bars == 1'000'000);  // every segment is in some bar
}
