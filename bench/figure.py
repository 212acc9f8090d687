"""One measured quantity, with every contender's runs and the targets socklab
must meet against them."""
import datetime
import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    scenario: str
    name: str
    unit: str
    higher_is_better: bool = True
    # peer -> minimum ratio socklab/peer; "max" / "min" -> a bound on socklab's own median
    targets: dict = field(default_factory=dict)
    detail: bool = False  # kept for a scenario's own table (echo latency), not the main table and chart
    runs: dict = field(default_factory=dict)  # program -> [values]
    labels: dict = field(default_factory=dict)  # program -> the name shown, where it is not the program's
    date: str = field(default_factory=lambda: str(datetime.date.today()))

    def to_json(self):
        return {"scenario": self.scenario, "name": self.name, "unit": self.unit,
                "higher_is_better": self.higher_is_better, "targets": self.targets, "runs": self.runs,
                "labels": self.labels, "date": self.date, "detail": self.detail}

    @staticmethod
    def from_json(d):
        return Figure(d["scenario"], d["name"], d["unit"], d["higher_is_better"], d["targets"],
                      d.get("detail", False), d["runs"], d.get("labels", {}), d.get("date"))

    def add(self, program, value):
        self.runs.setdefault(program, []).append(value)

    def median(self, program):
        return statistics.median(self.runs[program]) if self.runs.get(program) else None

    def ratio(self, peer, mine="socklab"):
        """How many times better `mine` is than `peer` (> 1 means `mine` wins)."""
        ours, theirs = self.median(mine), self.median(peer)
        if not ours or not theirs:
            return None
        return ours / theirs if self.higher_is_better else theirs / ours

    def verdicts(self):
        """[(what the target says, met?)], one per target."""
        out = []
        got = self.median("socklab")
        for peer, want in self.targets.items():
            if peer == "max":
                out.append((f"under {fmt(want)} {self.unit}", got is not None and got < want))
            elif peer == "min":
                out.append((f"at least {fmt(want)} {self.unit}", got is not None and got >= want))
            elif self.higher_is_better:
                ratio = self.ratio(peer)
                out.append((f">= {times(want)} {peer}", ratio is not None and ratio >= want))
            else:  # socklab's value at most `want` times the peer's
                ratio = self.ratio(peer)
                out.append((f"<= {times(want)} {peer}", ratio is not None and ratio >= 1 / want))
        return out


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def times(want):
    """A target ratio as written: 1.0x, 1.5x, 0.97x (never rounded to 1.0x)."""
    return f"{want:.1f}x" if round(want, 1) == want else f"{want:.2f}x"
