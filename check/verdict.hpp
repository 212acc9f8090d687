// A check's outcome as the student reads it: one line (pass, fail or warn and
// one sentence), the evidence under it, and a hint naming the usual cause.
// Printed in one place, as text or as JSON Lines. Pure: results in, text out.
#pragma once

#include <string>
#include <vector>

namespace socklab {

enum class Verdict { pass, fail, warn };

/// "pass", "fail", "warn": the JSON's spelling.
const char* verdict_key(Verdict verdict);

struct CheckResult {
  std::string check;     // its id: "echo", "concurrent", ...
  std::string sentence;  // "two clients are served at the same time"
  Verdict verdict = Verdict::pass;
  std::vector<std::string> evidence;  // what was seen: bytes, socket-table line, ladder lines
  std::string hint;                   // the lesson and the usual cause (failures and warnings)
};

struct VerdictStyle {
  bool colour = false;   // ANSI colours (a terminal, NO_COLOR unset)
  bool verbose = false;  // evidence of passing checks too
};

/// "PASS  echo  the bytes sent come back exactly\n" and, for a failure or a
/// warning (or with verbose), its evidence and hint, indented.
std::string result_text(const CheckResult& result, const VerdictStyle& style);

/// One JSON object, no newline: check, verdict, sentence, evidence, hint.
std::string result_json(const CheckResult& result);

struct Tally {
  int pass = 0, fail = 0, warn = 0;
  void add(Verdict v);
  int total() const { return pass + fail + warn; }
};

/// "tcp-server: 5 of 6 checks pass, 1 fails, 0 warn\n"
std::string summary_text(const std::string& exercise, const Tally& tally, const VerdictStyle& style);

/// {"summary":true,"exercise":...,"score":"5/6","pass":5,"fail":1,"warn":0}
std::string summary_json(const std::string& exercise, const Tally& tally);

}  // namespace socklab
