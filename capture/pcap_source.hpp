// Where the ladder's packets come from: a live capture through libpcap (the
// library tcpdump and Wireshark use), or a saved capture file (pcap or
// pcapng); and where they may go: a pcap file for Wireshark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/segment.hpp"
#include "common/result.hpp"

struct pcap;
struct pcap_dumper;
struct pcap_pkthdr;

namespace socklab {

/// One captured packet, valid until the next call to PcapSource::next.
struct CaptureRecord {
  double time = 0;  // seconds since the epoch
  const std::uint8_t* data = nullptr;
  std::size_t caplen = 0;   // bytes captured
  std::size_t wirelen = 0;  // bytes the packet had on the wire
  const pcap_pkthdr* header = nullptr;
};

/// A libpcap handle: live or reading a file.
class PcapSource {
 public:
  /// Captures on `interface` ("lo", "eth0", "any"), keeping the packets the
  /// BPF `filter` ("tcp and port 8001") accepts.
  static Result<std::unique_ptr<PcapSource>> open_live(const std::string& interface,
                                                       const std::string& filter);
  /// Reads a pcap or pcapng file; `filter` as above ("" keeps everything).
  static Result<std::unique_ptr<PcapSource>> open_file(const std::string& path, const std::string& filter);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  /// The link layer every record starts with.
  LinkType link() const { return link_; }
  bool live() const { return live_; }

  enum class Next { record, quiet, end, error };
  /// The next packet. Live: waits at most `timeout_ms`, then says `quiet`.
  /// A file: `end` after the last record. `error`: see error().
  Next next(CaptureRecord& record, int timeout_ms);
  const std::string& error() const { return error_; }

  /// Starts saving every record passed to save() in the pcap file `path`.
  Result<void> write_to(const std::string& path);
  /// Saves one record (after write_to).
  void save(const CaptureRecord& record);
  /// Pushes what was saved to the file (a live capture does it when quiet).
  void flush_file();

  /// Packets the kernel dropped because we did not read fast enough.
  std::uint64_t dropped() const;

 private:
  PcapSource() = default;
  Result<void> finish_open(const std::string& what, const std::string& filter);

  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  LinkType link_ = LinkType::ethernet;
  bool live_ = false;
  int fd_ = -1;
  std::string error_;
};

}  // namespace socklab
