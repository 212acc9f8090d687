// graph/svg: the SVG is well-formed XML (checked by a small parser here),
// names the connection, labels its axes with units, and puts each mark where
// the model and the layout say.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "graph/svg.hpp"
#include "graph/time_sequence.hpp"

using namespace socklab::graph;

namespace {

struct Element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // the text directly inside
};

// A small XML well-formedness check: every tag closes in order, attributes
// are quoted and unique, no bare '<' or '&' in text, one root. Returns the
// elements in document order, or an empty list with `why` set.
std::vector<Element> parse_xml(const std::string& xml, std::string& why) {
  std::vector<Element> all;
  std::vector<std::size_t> open;
  std::size_t i = 0;
  int roots = 0;
  auto fail = [&](const std::string& reason) {
    why = reason + " at byte " + std::to_string(i);
    return std::vector<Element>{};
  };
  auto check_text = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      if (xml[k] == '&') {
        const auto end = xml.find(';', k);
        const auto entity = xml.substr(k, end == std::string::npos ? 0 : end - k + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;") return false;
      }
    }
    return true;
  };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const auto next = xml.find('<', i);
      const auto end = next == std::string::npos ? xml.size() : next;
      if (!check_text(i, end)) return fail("bad entity");
      if (!open.empty())
        all[open.back()].text += xml.substr(i, end - i);
      else if (xml.find_first_not_of(" \n\t", i) < end)
        return fail("text outside the root");
      i = end;
      continue;
    }
    if (xml.compare(i, 5, "<?xml") == 0) {
      i = xml.find("?>", i);
      if (i == std::string::npos) return fail("unclosed declaration");
      i += 2;
      continue;
    }
    const auto close = xml.find('>', i);
    if (close == std::string::npos) return fail("unclosed tag");
    std::string tag = xml.substr(i + 1, close - i - 1);
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || all[open.back()].name != tag.substr(1))
        return fail("mismatched </" + tag.substr(1) + ">");
      open.pop_back();
      i = close + 1;
      continue;
    }
    const bool empty = !tag.empty() && tag.back() == '/';
    if (empty) tag.pop_back();
    Element e;
    std::size_t k = tag.find_first_of(" \n");
    e.name = tag.substr(0, k);
    if (e.name.empty()) return fail("a tag without a name");
    while (k != std::string::npos && k < tag.size()) {
      k = tag.find_first_not_of(" \n", k);
      if (k == std::string::npos) break;
      const auto eq = tag.find('=', k);
      if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"')
        return fail("unquoted attribute");
      const auto end = tag.find('"', eq + 2);
      if (end == std::string::npos) return fail("unclosed attribute");
      const auto name = tag.substr(k, eq - k);
      const auto value = tag.substr(eq + 2, end - eq - 2);
      if (value.find('<') != std::string::npos) return fail("'<' in an attribute");
      if (!e.attributes.emplace(name, value).second) return fail("attribute " + name + " twice");
      k = end + 1;
    }
    if (open.empty() && ++roots > 1) return fail("a second root");
    all.push_back(e);
    if (!empty) open.push_back(all.size() - 1);
    i = close + 1;
  }
  if (!open.empty()) return fail("unclosed <" + all[open.back()].name + ">");
  if (roots != 1) return fail("no root");
  return all;
}

std::vector<const Element*> with_class(const std::vector<Element>& all, const std::string& css) {
  std::vector<const Element*> out;
  for (const auto& e : all) {
    auto it = e.attributes.find("class");
    if (it != e.attributes.end() && it->second == css) out.push_back(&e);
  }
  return out;
}

Series sample_series() {
  TimeSequenceGraph g(200, 1.0);
  for (int i = 0; i < 100; ++i) {
    SegmentIn d;
    d.time = i * 0.02;
    d.seq = static_cast<std::uint64_t>(i) * 1448;
    d.length = 1448;
    if (i == 40) d.marks = {Mark::retransmission};
    g.add(d);
    SegmentIn a;
    a.time = i * 0.02 + 0.01;
    a.data_direction = false;
    a.ack = d.seq + 1448;
    a.window = 65535;
    if (i == 70) a.marks = {Mark::zero_window};
    g.add(a);
    g.add(InfoIn{i * 0.02, 14480 + 1448ULL * i, 7240, 65535, std::nullopt});
  }
  return g.series();
}

}  // namespace

TEST_CASE("the checker itself refuses what is not well-formed") {
  std::string why;
  CHECK(parse_xml("<a><b></a></b>", why).empty());
  CHECK(why == "mismatched </a> at byte 6");
  CHECK(parse_xml("<a x=1/>", why).empty());
  CHECK(parse_xml("<a>&</a>", why).empty());
  CHECK(parse_xml("<a/><b/>", why).empty());
  CHECK(parse_xml("<a>", why).empty());
  CHECK(parse_xml("<a x=\"1\">&amp;</a>", why).size() == 1);
}

TEST_CASE("the SVG is well-formed, titled with the connection and has axes with units") {
  const auto series = sample_series();
  const auto svg = write_svg(series, {"10.77.0.1:40000 -> 10.77.0.2:5001 <bulk & lossy>", 1280, 860});
  std::string why;
  const auto all = parse_xml(svg, why);
  REQUIRE_MESSAGE(!all.empty(), why);
  CHECK(all[0].name == "svg");
  CHECK(all[0].attributes.at("xmlns") == "http://www.w3.org/2000/svg");
  const auto titles = with_class(all, "title");
  REQUIRE(titles.size() == 1);
  CHECK(titles[0]->text == "10.77.0.1:40000 -&gt; 10.77.0.2:5001 &lt;bulk &amp; lossy&gt;");
  CHECK(svg.find(">time (seconds since the first segment)<") != std::string::npos);
  CHECK(svg.find(">sequence number (bytes, relative)<") != std::string::npos);
  CHECK(svg.find(">100 kB<") != std::string::npos);  // a tick on the sequence axis
  CHECK(svg.find(">1.0 s<") != std::string::npos);   // a tick on the time axis
  for (const char* entry : {">data segment<", ">ACK<", ">receive window edge<", ">retransmission<",
                            ">zero window<", ">cwnd (TCP_INFO)<", ">bytes in flight<", ">peer's window<"}) {
    CHECK_MESSAGE(svg.find(entry) != std::string::npos, entry);
  }
  // Only the marks drawn are in the legend.
  CHECK(svg.find(">window probe<") == std::string::npos);
  CHECK(with_class(all, "data").size() == 1);
  CHECK(with_class(all, "ack").size() == 1);
  CHECK(with_class(all, "cwnd").size() == 1);
}

TEST_CASE("each mark is drawn where the model and the layout put it") {
  const auto series = sample_series();
  const SvgOptions options{"marks", 1000, 700};
  const auto svg = write_svg(series, options);
  std::string why;
  const auto all = parse_xml(svg, why);
  REQUIRE_MESSAGE(!all.empty(), why);
  const auto layout = svg_layout(series, options);
  REQUIRE(series.marks.size() == 2);
  for (const auto& m : series.marks) {
    const std::string css = m.mark == Mark::retransmission ? "mark retransmission" : "mark zero-window";
    const auto found = with_class(all, css);
    REQUIRE(found.size() == 1);
    const double cx = std::stod(found[0]->attributes.at("cx"));
    const double cy = std::stod(found[0]->attributes.at("cy"));
    CHECK(cx == doctest::Approx(layout.x(m.time)).epsilon(0.001));
    CHECK(cy == doctest::Approx(layout.seq_y(static_cast<double>(m.seq))).epsilon(0.001));
    CHECK(cx > layout.left);
    CHECK(cx < layout.right);
    CHECK(cy > layout.seq_top);
    CHECK(cy < layout.seq_bottom);
  }
  // The retransmission (segment 40, 0.8 s) is left of and below the zero window (ACK 71, 1.41 s).
  const auto r = with_class(all, "mark retransmission")[0];
  const auto z = with_class(all, "mark zero-window")[0];
  CHECK(std::stod(r->attributes.at("cx")) < std::stod(z->attributes.at("cx")));
  CHECK(std::stod(r->attributes.at("cy")) > std::stod(z->attributes.at("cy")));
  CHECK(r->attributes.at("data-seq") == std::to_string(40 * 1448));
  // The scales: the first segment's time at the left edge, the highest point at the top.
  CHECK(layout.x(series.start) == doctest::Approx(layout.left));
  CHECK(layout.seq_y(static_cast<double>(series.seq_high)) == doctest::Approx(layout.seq_top));
}

TEST_CASE("an empty graph is still a well-formed picture") {
  TimeSequenceGraph g;
  const auto svg = write_svg(g.series(), {"nothing yet", 640, 480});
  std::string why;
  CHECK_MESSAGE(!parse_xml(svg, why).empty(), why);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
}
