// Fuzz target: capture's segment decoder (one captured packet, any link
// layer) and the ladder fed with what it decodes, drawn and put in JSON.
// Input: byte 0 picks the link layer, bytes 1-2 the wire length beyond the
// captured length, then the records: a 2-byte length and the packet bytes.
// Property beyond "no crash": a decoded segment's payload fits in the wire
// length; relative numbers of a handshake start at 0; every line has a
// connection and a JSON form that names it; the view's text ends in '\n'.

#include <cstddef>
#include <cstdint>
#include <string>

#include "capture/ladder.hpp"
#include "capture/ladder_view.hpp"
#include "capture/segment.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace socklab;
  if (size < 3) return 0;
  const LinkType link = static_cast<LinkType>(data[0] % 6);
  const std::size_t extra = static_cast<std::size_t>(data[1]) << 8 | data[2];
  LadderTracker tracker(false);
  LadderView view({false, true, true});
  std::size_t i = 3;
  double time = 0;
  while (i + 2 <= size) {
    std::size_t len = static_cast<std::size_t>(data[i]) << 8 | data[i + 1];
    i += 2;
    if (len > size - i) len = size - i;
    const Decoded d = decode_segment(link, data + i, len, len + extra, time);
    i += len;
    time += 0.001;
    if (!d.segment) {
      FUZZ_CHECK(skip_text(d.skip)[0] != '?', "a skip has a reason");
      continue;
    }
    FUZZ_CHECK(d.segment->payload <= len + extra, "the payload fits in the packet");
    const LadderLine line = tracker.feed(*d.segment);
    FUZZ_CHECK(line.conn != nullptr && line.conn->id >= 1, "every line belongs to a connection");
    if (line.first_of_connection && (line.flags & (tcp_syn | tcp_ack)) == tcp_syn)
      FUZZ_CHECK(line.seq == 0, "a connection's first SYN has relative seq 0");
    const std::string json = ladder_json(line);
    FUZZ_CHECK(json.find("\"conn\":" + std::to_string(line.conn->id)) != std::string::npos,
               "the JSON names it");
    const std::string text = view.add(line);
    FUZZ_CHECK(text.empty() || text.back() == '\n', "the view draws whole lines");
  }
  const std::string rest = view.flush();
  FUZZ_CHECK(rest.empty() || rest.back() == '\n', "the view draws whole lines");
  return 0;
}
