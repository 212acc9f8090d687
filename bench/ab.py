"""Old against new: socklab's own programs from two builds, taking turns in
the same run (AB BA AB ...: whoever went second goes first next round), so
that the machine's load falls on both alike; a figure is the median of its
rounds. Issue 14's rule: no figure may get more than 3% worse.

The load clients and probes (tcp-client --load, epoll-load, udp-client)
come from the new build for both, so that only the program measured differs.
"""
import statistics
from dataclasses import dataclass

from figure import fmt
from measure import take_turns
from processes import say

WORSE_AT_MOST = 0.03


@dataclass
class Row:
    scenario: str
    figure: str
    unit: str
    old: float
    new: float
    higher_is_better: bool
    per_round: list  # new/old of each round, where both ran: how far the machine's noise moves the ratio

    @property
    def ratio(self):
        """new / old, None when old is 0."""
        return self.new / self.old if self.old else None

    @property
    def within(self):
        """At most 3% worse (equal counts of nothing, such as 0 datagrams lost, are within)."""
        if self.ratio is None:
            return self.new <= self.old
        return self.ratio >= 1 - WORSE_AT_MOST if self.higher_is_better else self.ratio <= 1 + WORSE_AT_MOST


def compare(scenarios, old, new, rounds):
    """Rows for every figure of socklab's contender in `scenarios` (modules, see measure.py)."""
    rows = []
    for scenario in scenarios:
        with scenario.prepared() as cases:
            for case in cases:
                runs = {"old": scenario.contenders(case, old, new)["socklab"],
                        "new": scenario.contenders(case, new, new)["socklab"]}
                for fig in take_turns(scenario, case, runs, rounds, required=("old", "new"), first_goes_first=False):
                    if fig.detail:
                        continue
                    pairs = zip(fig.runs["old"], fig.runs["new"])
                    row = Row(fig.scenario, fig.name, fig.unit, fig.median("old"), fig.median("new"),
                              fig.higher_is_better, [new / old for old, new in pairs if old])
                    say(f"{row.scenario:8s} {row.figure} [{row.unit}]: old {fmt(row.old)} "
                        f"({', '.join(fmt(v) for v in fig.runs['old'])}), new {fmt(row.new)} "
                        f"({', '.join(fmt(v) for v in fig.runs['new'])})")
                    rows.append(row)
    return rows


def table(rows, rounds):
    out = [f"Old against new, medians of {rounds} rounds each, taking turns; "
           f"within: no more than 3% worse.", "",
           "| scenario | figure | old | new | new/old | within 3% | new/old per round: median (min-max) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        better = "higher" if r.higher_is_better else "lower"
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "-"
        spread = (f"{statistics.median(r.per_round):.3f} ({min(r.per_round):.2f}-{max(r.per_round):.2f})"
                  if r.per_round else "-")
        out.append(f"| {r.scenario} | {r.figure} [{r.unit}, {better} is better] | {fmt(r.old)} | {fmt(r.new)} "
                   f"| {ratio} | {'yes' if r.within else '**NO**'} | {spread} |")
    worse = [r for r in rows if not r.within]
    out += ["", f"{len(rows) - len(worse)} of {len(rows)} figures within {WORSE_AT_MOST:.0%}"
            + (f"; worse: {', '.join(f'{r.scenario}: {r.figure}' for r in worse)}" if worse else "")]
    return out
