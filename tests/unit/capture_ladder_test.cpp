// tcpstate ladder: the segment decoder, the tracker (relative numbers,
// window scaling, states, events) and the view, on made-up segments and on
// real captures kept under fixtures/ladder/.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "capture/ladder.hpp"
#include "capture/ladder_view.hpp"
#include "capture/pcap_source.hpp"
#include "capture/segment.hpp"
#include "common/json.hpp"

using namespace socklab;

namespace {

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

// A segment between the client 127.0.0.1:40000 and the server 127.0.0.1:8001.
struct Wire {
  std::uint32_t client_isn = 1000, server_isn = 5000;
  double time = 100.0;
  Segment make(bool from_client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len,
               std::uint16_t window) {
    Segment s;
    s.time = (time += 0.001);
    s.src = s.dst = v4(127, 0, 0, 1);
    s.src_port = from_client ? 40000 : 8001;
    s.dst_port = from_client ? 8001 : 40000;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.payload = len;
    s.window = window;
    return s;
  }
  // Relative numbers in, absolute on the wire.
  Segment c(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0,
            std::uint16_t win = 512) {
    return make(true, flags, client_isn + seq, server_isn + ack, len, win);
  }
  Segment s(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len = 0,
            std::uint16_t win = 512) {
    return make(false, flags, server_isn + seq, client_isn + ack, len, win);
  }
};

const std::uint8_t ack = tcp_ack, syn = tcp_syn, fin = tcp_fin, rst = tcp_rst, psh = tcp_psh;

// Feeds a whole handshake with window scale 7 offered by both sides.
void handshake(LadderTracker& t, Wire& w, std::vector<LadderLine>* lines = nullptr) {
  Segment s1 = w.c(syn, 0, 0, 0, 65495);
  s1.ack = 0;
  s1.options.mss = 65495;
  s1.options.wscale = 7;
  s1.options.sack_perm = true;
  Segment s2 = w.s(syn | ack, 0, 1, 0, 65483);
  s2.options.mss = 65495;
  s2.options.wscale = 7;
  for (const Segment& s : {s1, s2, w.c(ack, 1, 1, 0, 512)}) {
    LadderLine l = t.feed(s);
    if (lines) lines->push_back(l);
  }
}

std::string state(const std::optional<TcpState>& s) { return s ? std::string(state_name(*s)) : "null"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The JSON lines of a capture, drawn from the file.
std::string json_of_capture(const std::string& path, bool absolute = false) {
  auto src = PcapSource::open_file(path, "");
  REQUIRE_MESSAGE(src.ok(), src.error());
  LadderTracker tracker(absolute);
  std::string out;
  CaptureRecord r;
  while ((*src)->next(r, 0) == PcapSource::Next::record) {
    const Decoded d = decode_segment((*src)->link(), r.data, r.caplen, r.wirelen, r.time);
    if (d.segment) out += ladder_json(tracker.feed(*d.segment)) + "\n";
  }
  return out;
}

// Each line of JSON Lines text, parsed.
std::vector<Json> parsed_lines(const std::string& text) {
  std::vector<Json> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

std::string text_of_capture(const std::string& path, bool all) {
  auto src = PcapSource::open_file(path, "");
  REQUIRE_MESSAGE(src.ok(), src.error());
  LadderTracker tracker;
  LadderView view({all, false, true});
  std::string out;
  CaptureRecord r;
  while ((*src)->next(r, 0) == PcapSource::Next::record) {
    const Decoded d = decode_segment((*src)->link(), r.data, r.caplen, r.wirelen, r.time);
    if (d.segment) out += view.add(tracker.feed(*d.segment));
  }
  return out + view.flush();
}

}  // namespace

TEST_CASE("decode_segment") {
  // An Ethernet frame: IPv4, TCP SYN with MSS, SACK permitted, timestamps, window scale.
  const std::vector<std::uint8_t> frame = {
      0,    0,    0,    0,    0, 0, 0,    0,    0,  0, 0, 0, 0x08, 0x00,  // Ethernet, IPv4
      0x45, 0,    0,    60,   0, 0, 0x40, 0,    64, 6, 0, 0, 127,  0,
      0,    1,    127,  0,    0, 2,  // IPv4: 60 bytes, TCP
      0x9c, 0x40, 0x1f, 0x41, 0, 0, 0x03, 0xe8, 0,  0, 0, 0, 0xa0, 0x02,
      0xff, 0xd7, 0,    0,    0, 0,  // TCP
      2,    4,    0xff, 0xd7, 4, 2, 8,    10,   0,  0, 0, 7, 0,    0,
      0,    0,    1,    3,    3, 7};
  SUBCASE("reads the addresses, ports, numbers, flags and options") {
    const Decoded d = decode_segment(LinkType::ethernet, frame.data(), frame.size(), frame.size(), 1.5);
    REQUIRE(d.segment);
    const Segment& s = *d.segment;
    CHECK(endpoint_text(s.src, s.src_port) == "127.0.0.1:40000");
    CHECK(endpoint_text(s.dst, s.dst_port) == "127.0.0.2:8001");
    CHECK(s.seq == 1000);
    CHECK(s.flags == tcp_syn);
    CHECK(s.window == 65495);
    CHECK(s.payload == 0);
    CHECK(s.time == 1.5);
    CHECK(s.options.mss == 65495);
    CHECK(s.options.wscale == 7);
    CHECK(s.options.sack_perm);
    CHECK(s.options.ts == std::make_pair(7u, 0u));
  }
  SUBCASE("a snap length that cuts the TCP header skips the packet as truncated") {
    const Decoded d = decode_segment(LinkType::ethernet, frame.data(), 40, frame.size(), 0);
    CHECK(!d.segment);
    CHECK(d.skip == DecodeSkip::truncated);
    CHECK(std::string(skip_text(d.skip)) == "cut before the end of the TCP header (snap length too short)");
  }
  SUBCASE("options cut by the snap length are left out, the header is kept") {
    const Decoded d = decode_segment(LinkType::ethernet, frame.data(), 58, frame.size(), 0);
    REQUIRE(d.segment);
    CHECK(d.segment->options.mss == 65495);
    CHECK(!d.segment->options.ts);
  }
  SUBCASE("the payload length comes from the IP header, not the bytes captured") {
    std::vector<std::uint8_t> data = frame;
    data[17] = 60 + 100;  // IPv4 total length: 100 bytes of payload
    const Decoded d = decode_segment(LinkType::ethernet, data.data(), data.size(), data.size() + 100, 0);
    REQUIRE(d.segment);
    CHECK(d.segment->payload == 100);
  }
  SUBCASE("a UDP packet is not TCP; ARP is not IP") {
    std::vector<std::uint8_t> data = frame;
    data[23] = 17;
    CHECK(decode_segment(LinkType::ethernet, data.data(), data.size(), data.size(), 0).skip ==
          DecodeSkip::not_tcp);
    data[12] = 0x08;
    data[13] = 0x06;
    CHECK(decode_segment(LinkType::ethernet, data.data(), data.size(), data.size(), 0).skip ==
          DecodeSkip::not_ip);
  }
  SUBCASE("an IP length beyond the packet is malformed") {
    std::vector<std::uint8_t> data = frame;
    data[16] = 0x10;
    CHECK(decode_segment(LinkType::ethernet, data.data(), data.size(), data.size(), 0).skip ==
          DecodeSkip::malformed);
  }
  SUBCASE("the other link layers: raw IP, Linux cooked, BSD loopback") {
    const std::vector<std::uint8_t> ip(frame.begin() + 14, frame.end());
    CHECK(decode_segment(LinkType::raw, ip.data(), ip.size(), ip.size(), 0).segment);
    std::vector<std::uint8_t> sll(16, 0);
    sll[14] = 0x08;
    sll.insert(sll.end(), ip.begin(), ip.end());
    CHECK(decode_segment(LinkType::linux_sll, sll.data(), sll.size(), sll.size(), 0).segment);
    std::vector<std::uint8_t> sll2 = {0x08, 0x00};  // protocol first, then 18 more bytes
    sll2.resize(20, 0);
    sll2.insert(sll2.end(), ip.begin(), ip.end());
    CHECK(decode_segment(LinkType::linux_sll2, sll2.data(), sll2.size(), sll2.size(), 0).segment);
    std::vector<std::uint8_t> null = {2, 0, 0, 0};  // AF_INET, little-endian writer
    null.insert(null.end(), ip.begin(), ip.end());
    CHECK(decode_segment(LinkType::null_host, null.data(), null.size(), null.size(), 0).segment);
  }
  SUBCASE("IPv6") {
    std::vector<std::uint8_t> ip6 = {0x60, 0, 0, 0, 0, 40, 6, 64};
    for (int i = 0; i < 32; ++i) ip6.push_back(i % 16 == 15 ? 1 : 0);  // ::1 -> ::1
    ip6.insert(ip6.end(), frame.begin() + 34, frame.end());
    const Decoded d = decode_segment(LinkType::raw, ip6.data(), ip6.size(), ip6.size(), 0);
    REQUIRE(d.segment);
    CHECK(endpoint_text(d.segment->src, d.segment->src_port) == "[::1]:40000");
    CHECK(d.segment->options.wscale == 7);
  }
  SUBCASE("empty and tiny inputs are skipped, never read past") {
    CHECK(!decode_segment(LinkType::ethernet, frame.data(), 0, 0, 0).segment);
    CHECK(!decode_segment(LinkType::raw, frame.data(), 0, 0, 0).segment);
    CHECK(!decode_segment(LinkType::linux_sll2, frame.data(), 3, 3, 0).segment);
  }
}

TEST_CASE("flags_text") {
  CHECK(flags_text(tcp_syn | tcp_ack) == "SYN+ACK");
  CHECK(flags_text(tcp_fin | tcp_psh | tcp_ack) == "FIN+PSH+ACK");
  CHECK(flags_text(tcp_rst | tcp_ack) == "RST+ACK");
  CHECK(flags_text(0xff) == "SYN+FIN+RST+PSH+ACK+URG+ECE+CWR");
  CHECK(flags_text(0) == "");
}

TEST_CASE("LadderTracker") {
  LadderTracker t;
  Wire w;
  SUBCASE("the handshake: relative numbers, states after each segment, options, events") {
    std::vector<LadderLine> l;
    handshake(t, w, &l);
    CHECK(l[0].first_of_connection);
    CHECK(l[0].conn->client == "127.0.0.1:40000");
    CHECK(l[0].conn->server == "127.0.0.1:8001");
    CHECK(l[0].seq == 0);
    CHECK(!l[0].ack);
    CHECK(l[0].has(LadderEvent::syn));
    CHECK(state(l[0].client_state) == "SYN_SENT");
    CHECK(state(l[0].server_state) == "SYN_RCVD");
    CHECK(l[0].note == "SYN: the client's ISN is 1000; the SYN takes one sequence number");
    CHECK(l[1].seq == 0);
    CHECK(l[1].ack == 1u);
    CHECK(l[1].has(LadderEvent::syn_ack));
    CHECK(state(l[1].client_state) == "ESTABLISHED");
    CHECK(state(l[1].server_state) == "SYN_RCVD");
    CHECK(l[1].win == 65483);  // a SYN's window is never scaled
    CHECK(l[2].has(LadderEvent::handshake_complete));
    CHECK(state(l[2].server_state) == "ESTABLISHED");
    CHECK(l[2].seq == 1);
    CHECK(l[2].ack == 1u);
    CHECK(l[2].win == 512 << 7);  // scaled by the client's factor
    CHECK(l[2].win_scale_known);
    CHECK(!l[2].first_of_connection);
  }
  SUBCASE("--absolute keeps the raw numbers") {
    LadderTracker a(true);
    std::vector<LadderLine> l;
    handshake(a, w, &l);
    CHECK(l[1].seq == 5000);
    CHECK(l[1].ack == 1001u);
  }
  SUBCASE("without window scale on both SYNs the window is not scaled") {
    Segment s1 = w.c(syn, 0, 0);
    s1.options.wscale = 7;
    t.feed(s1);
    t.feed(w.s(syn | ack, 0, 1));  // the server does not scale
    CHECK(t.feed(w.c(ack, 1, 1, 0, 512)).win == 512);
  }
  SUBCASE("the SYN missed, the SYN+ACK seen: the server's scale is known, the client's is not") {
    Segment s2 = w.s(syn | ack, 0, 1, 0, 65483);
    s2.options.wscale = 7;
    LadderLine l = t.feed(s2);
    CHECK(l.conn->client == "127.0.0.1:40000");
    CHECK(l.ack == 1u);
    LadderLine c = t.feed(w.c(ack, 1, 1, 0, 512));
    CHECK(c.win == 512);
    CHECK(!c.win_scale_known);
    LadderLine s = t.feed(w.s(ack, 1, 1, 0, 512));
    CHECK(s.win == 512 << 7);
    CHECK(s.win_scale_known);
  }
  SUBCASE("an active close by the client: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT; the server LAST_ACK, CLOSED") {
    handshake(t, w);
    LadderLine f1 = t.feed(w.c(fin | ack, 1, 1));
    CHECK(f1.has(LadderEvent::fin));
    CHECK(state(f1.client_state) == "FIN_WAIT_1");
    CHECK(state(f1.server_state) == "CLOSE_WAIT");
    LadderLine a1 = t.feed(w.s(ack, 1, 2));  // ack = the FIN's seq + 1
    CHECK(a1.ack == 2u);
    CHECK(state(a1.client_state) == "FIN_WAIT_2");
    LadderLine f2 = t.feed(w.s(fin | ack, 1, 2));
    CHECK(state(f2.server_state) == "LAST_ACK");
    CHECK(state(f2.client_state) == "TIME_WAIT");
    CHECK(f2.has(LadderEvent::time_wait));
    LadderLine a2 = t.feed(w.c(ack, 2, 2));
    CHECK(state(a2.server_state) == "CLOSED");
    CHECK(state(a2.client_state) == "TIME_WAIT");
    CHECK(!a2.has(LadderEvent::time_wait));
  }
  SUBCASE("a FIN that also acknowledges the other's FIN: FIN_WAIT_1 straight to TIME_WAIT") {
    handshake(t, w);
    t.feed(w.c(fin | ack, 1, 1));
    LadderLine f2 = t.feed(w.s(fin | ack, 1, 2));
    CHECK(state(f2.client_state) == "TIME_WAIT");
    CHECK(state(f2.server_state) == "LAST_ACK");
  }
  SUBCASE("a simultaneous close: both FINs cross, both CLOSING, then both TIME_WAIT") {
    handshake(t, w);
    t.feed(w.c(fin | ack, 1, 1));
    LadderLine f2 = t.feed(w.s(fin | ack, 1, 1));  // does not acknowledge the client's FIN
    CHECK(state(f2.client_state) == "CLOSING");
    CHECK(state(f2.server_state) == "CLOSING");
    LadderLine a1 = t.feed(w.c(ack, 2, 2));
    CHECK(state(a1.server_state) == "TIME_WAIT");
    LadderLine a2 = t.feed(w.s(ack, 2, 2));
    CHECK(state(a2.client_state) == "TIME_WAIT");
    CHECK(a2.has(LadderEvent::time_wait));
  }
  SUBCASE("RST to a SYN: nothing listening") {
    Segment s1 = w.c(syn, 0, 0);
    t.feed(s1);
    LadderLine r = t.feed(w.make(false, rst | ack, 0, w.client_isn + 1, 0, 0));
    CHECK(r.has(LadderEvent::rst));
    CHECK(r.has(LadderEvent::rst_not_listening));
    CHECK(r.ack == 1u);
    CHECK(state(r.client_state) == "CLOSED");
    CHECK(state(r.server_state) == "CLOSED");
    CHECK(r.note == "RST: nothing listens on 127.0.0.1:8001, so the SYN is refused");
  }
  SUBCASE("RST from a side that closed with data unread") {
    handshake(t, w);
    t.feed(w.c(psh | ack, 1, 1, 5));
    t.feed(w.s(ack, 1, 6));
    LadderLine r = t.feed(w.s(rst | ack, 1, 6));
    CHECK(r.has(LadderEvent::rst_unread_data));
    CHECK(!r.has(LadderEvent::rst_not_listening));
  }
  SUBCASE("a zero window, the probe, the window update") {
    handshake(t, w);
    t.feed(w.c(ack, 1, 1, 100));
    LadderLine z = t.feed(w.s(ack, 1, 101, 0, 0));
    CHECK(z.has(LadderEvent::zero_window));
    CHECK(z.win == 0);
    LadderLine p = t.feed(w.c(ack, 100, 1, 0));  // Linux: the last acknowledged byte's number, no data
    CHECK(p.has(LadderEvent::zero_window_probe));
    CHECK(!p.has(LadderEvent::retransmission));
    LadderLine z2 = t.feed(w.s(ack, 1, 101, 0, 0));
    CHECK(z2.has(LadderEvent::zero_window));
    CHECK(!z2.has(LadderEvent::dup_ack));
    LadderLine u = t.feed(w.s(ack, 1, 101, 0, 300));
    CHECK(u.has(LadderEvent::window_update));
  }
  SUBCASE("retransmission, out of order, duplicate ACK") {
    handshake(t, w);
    t.feed(w.c(ack, 1, 1, 100));
    CHECK(t.feed(w.c(ack, 1, 1, 100)).has(LadderEvent::retransmission));
    LadderLine gap = t.feed(w.c(ack, 201, 1, 100));  // 101-200 not seen yet
    CHECK(gap.has(LadderEvent::out_of_order));
    t.feed(w.s(ack, 1, 101));
    CHECK(t.feed(w.s(ack, 1, 101)).has(LadderEvent::dup_ack));
    LadderLine late = t.feed(w.c(ack, 101, 1, 100));  // fills the gap
    CHECK(late.has(LadderEvent::out_of_order));
    CHECK(!late.has(LadderEvent::retransmission));
  }
  SUBCASE("a retransmitted SYN is one connection") {
    Segment s1 = w.c(syn, 0, 0);
    t.feed(s1);
    LadderLine again = t.feed(s1);
    CHECK(again.has(LadderEvent::retransmission));
    CHECK(!again.has(LadderEvent::syn));
    CHECK(again.conn->id == 1);
  }
  SUBCASE("a handshake missed: the first sender is the client, states unknown until a FIN") {
    LadderLine d = t.feed(w.s(psh | ack, 10, 20, 5));
    CHECK(d.conn->client == "127.0.0.1:8001");
    CHECK(!d.client_state);
    CHECK(!d.server_state);
    CHECK(!d.win_scale_known);
    CHECK(d.seq == 1);  // the first number seen counts as ISN + 1, as in Wireshark
    CHECK(d.ack == 1u);
    LadderLine f = t.feed(w.s(fin | ack, 15, 20));
    CHECK(f.seq == 6);
    CHECK(state(f.client_state) == "FIN_WAIT_1");
    CHECK(state(f.server_state) == "CLOSE_WAIT");
  }
  SUBCASE("a new SYN on the ports of a finished connection is a new connection") {
    handshake(t, w);
    t.feed(w.c(rst | ack, 1, 1));
    w.client_isn = 90000;
    LadderLine again = t.feed(w.c(syn, 0, 0));
    CHECK(again.conn->id == 2);
    CHECK(again.first_of_connection);
  }
  SUBCASE("a finished connection is forgotten a minute later; open ones stay") {
    handshake(t, w);
    t.feed(w.c(rst | ack, 1, 1));
    Wire other;
    other.time = w.time;
    Segment s = other.c(syn, 0, 0);
    s.src_port = 40001;
    t.feed(s);
    CHECK(t.connections() == 2);
    s.time += 120;
    s.src_port = 40002;
    t.feed(s);
    CHECK(t.connections() == 2);  // the RST one is gone; 40001's (SYN_SENT) and 40002's stay
  }
}

TEST_CASE("LadderView") {
  LadderTracker t;
  Wire w;
  std::vector<LadderLine> hs;
  handshake(t, w, &hs);
  SUBCASE("draws a header, then one arrow per segment with the states beside it") {
    LadderView v({false, false, true});
    std::string text;
    for (const auto& l : hs) text += v.add(l);
    CHECK(text.find("#1 client 127.0.0.1:40000 -> server 127.0.0.1:8001\n") != std::string::npos);
    CHECK(text.find("SYN_SENT    -- SYN seq 0 win 65495 <mss 65495, wscale 7, sack_perm> ---") !=
          std::string::npos);
    CHECK(text.find("ESTABLISHED <----") != std::string::npos);
    CHECK(text.find("-- SYN+ACK seq 0 ack 1 win 65483") != std::string::npos);
    CHECK(text.find("handshake complete") != std::string::npos);
  }
  SUBCASE("a run of bulk data folds into one line; --all draws each") {
    LadderView folded({false, false, false});
    LadderView all({true, false, false});
    std::string a, b;
    for (std::uint32_t i = 0; i < 100; ++i) {
      LadderLine d = t.feed(w.c(ack, 1 + i * 1000, 1, 1000));
      a += folded.add(d);
      b += all.add(d);
      if (i % 2 == 1) {
        LadderLine k = t.feed(w.s(ack, 1, 1 + (i + 1) * 1000, 0, 200 + i));
        a += folded.add(k);
        b += all.add(k);
      }
    }
    a += folded.flush();
    b += all.flush();
    CHECK(a.find("== 100 data segments + 50 ACKs, 100000 bytes, seq 1-100001, win 25728-38272 =") !=
          std::string::npos);
    CHECK(std::count(a.begin(), a.end(), '\n') == 1);
    CHECK(std::count(b.begin(), b.end(), '\n') == 150);
  }
  SUBCASE("a long run is folded into one line per second") {
    LadderView v({false, false, false});
    std::string text;
    for (std::uint32_t i = 0; i < 300; ++i) {  // 10 ms apart: 3 s
      w.time += 0.009;
      text += v.add(t.feed(w.c(ack, 1 + i * 1000, 1, 1000)));
    }
    text += v.flush();
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    CHECK(text.find("== 101 data segments, 101000 bytes, seq 1-101001 =") != std::string::npos);
  }
  SUBCASE("a short exchange is drawn line by line, never folded") {
    LadderView v({false, false, false});
    std::string text = v.add(t.feed(w.c(psh | ack, 1, 1, 6)));
    text += v.add(t.feed(w.s(psh | ack, 1, 7, 6)));
    text += v.add(t.feed(w.c(ack, 7, 7)));
    text += v.flush();
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
  }
  SUBCASE("colour only when asked") {
    LadderView c({false, true, true});
    LadderTracker t2;
    CHECK(c.add(t2.feed(w.c(syn, 0, 0))).find("\x1b[") != std::string::npos);
  }
}

TEST_CASE("ladder_json") {
  LadderTracker t;
  Wire w;
  std::vector<LadderLine> hs;
  handshake(t, w, &hs);
  // Compared as parsed JSON (same keys, same order, same values): the text
  // of a number is the library's ("t":0.001).
  CHECK(
      Json::parse(ladder_json(hs[1])) ==
      Json::parse(
          R"({"conn":1,"t":0.001000,"src":"127.0.0.1:8001","dst":"127.0.0.1:40000","client":"127.0.0.1:40000",)"
          R"("server":"127.0.0.1:8001","dir":"server->client","flags":"SYN+ACK","seq":0,"ack":1,"len":0,)"
          R"("win":65483,"win_scale_known":true,"options":{"mss":65495,"wscale":7},"client_state":"ESTABLISHED",)"
          R"("server_state":"SYN_RCVD","events":["syn_ack"],"note":"SYN+ACK: ack = the client's ISN + 1 (its SYN )"
          R"(took one number); this side's ISN is 5000"})"));
  CHECK(ladder_json(hs[0]).find(R"("ack":null)") != std::string::npos);
  LadderTracker missed;
  CHECK(ladder_json(missed.feed(w.c(ack, 5, 5))).find(R"("client_state":null,"server_state":null)") !=
        std::string::npos);
}

// Real captures made with `tcpstate ladder --write` inside a network
// namespace (fixtures/ladder/make_fixtures.py), with the ladders expected of them.
TEST_CASE("the fixture captures give the expected ladders") {
  const std::string dir = LADDER_FIXTURES "/";
  for (const char* name : {"handshake_data", "half_close", "simultaneous_close", "rst_unread",
                           "rst_closed_port", "zero_window", "ipv6", "missed_handshake"}) {
    CAPTURE(name);
    const std::string pcap = dir + name + ".pcap";
    CHECK(parsed_lines(json_of_capture(pcap)) == parsed_lines(read_file(dir + name + ".jsonl")));
    CHECK(text_of_capture(pcap, false) == read_file(dir + name + ".txt"));
  }
}
