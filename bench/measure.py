"""Taking turns: every contender of a case runs once per round, so that a
noisy neighbour on the machine hurts all of them alike; a figure is the
median of its runs.

A scenario is a module with
  prepared()                      a context manager giving its cases (and
                                  making and removing their files)
  figure(case, key)               the Figure that a run's value `key` goes to
  contenders(case, build, tools)  contender -> one run: a function of the
                                  round number returning {key: value}; the
                                  programs measured come from `build`, the
                                  load clients and probes from `tools`
"""
import os

from figure import Figure, fmt
from processes import FAILURES, Unavailable, say

# Every run's size (round trips, datagrams, files) times SCALE: the bench's
# tests run it tiny (0.01) to check the machinery, not the speed.
SCALE = float(os.environ.get("SOCKLAB_BENCH_SCALE", "1"))


def scaled(n):
    return max(1, round(n * SCALE))


class Figures(dict):
    """key -> Figure, each made (by the scenario) when its first value comes."""

    def __init__(self, scenario, case):
        super().__init__()
        self.scenario, self.case = scenario, case

    def add(self, key, program, value):
        if key not in self:
            self[key] = self.scenario.figure(self.case, key)
        self[key].add(program, value)


def take_turns(scenario, case, runs, rounds, required=("socklab",), first_goes_first=True):
    """Runs each of `runs` (name -> one run) once a round, `rounds` times;
    with first_goes_first=False the order turns round every other round
    (AB BA AB...). A contender not `required` that fails is left out, with
    the reason; a required one's failure, and any other error, ends the
    scenario."""
    figures = Figures(scenario, case)
    runs = dict(runs)
    for turn in range(rounds):
        order = list(runs.items())
        if not first_goes_first and turn % 2:
            order.reverse()
        for name, once in order:
            try:
                values = once(turn)
            except FAILURES as e:
                if name in required:
                    raise
                if isinstance(e, Unavailable):  # it will not be there next round either
                    del runs[name]
                    say(f"bench: {name} left out: {e}")
                else:
                    say(f"bench: {name} left out of this run: {e}")
                continue
            for key, value in values.items():
                figures.add(key, name, value)
    return list(figures.values())


def measure(scenario, build, rounds):
    """Every case of `scenario`, every contender, `rounds` runs each; the figures."""
    out = []
    with scenario.prepared() as cases:
        for case in cases:
            for fig in take_turns(scenario, case, scenario.contenders(case, build, build), rounds):
                say(summary(fig))
                out.append(fig)
    return out


def summary(fig: Figure):
    """One line: each contender's median (min-max) and ratio, and the targets."""
    parts = []
    for program, values in fig.runs.items():
        label = fig.labels.get(program, program)
        text = f"{label} {fmt(fig.median(program))} ({fmt(min(values))}-{fmt(max(values))})"
        if program != "socklab" and fig.ratio(program):
            text += f" ratio {fig.ratio(program):.2f}x"
        parts.append(text)
    verdict = "; ".join(f"{'met' if ok else 'NOT MET'}: {what}" for what, ok in fig.verdicts())
    return f"{fig.scenario:8s} {fig.name} [{fig.unit}]: " + " | ".join(parts) + (f"  [{verdict}]" if verdict else "")
