"""bench/results.png: a bar per (figure, peer), socklab's ratio to that peer
(log scale; 1.0 is parity), drawn by gnuplot."""
import os
import shutil
import subprocess
import tempfile

from processes import say

PNG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.png")


def bars(figures):
    """[(label, ratio)], one per figure and peer (latency detail left out)."""
    rows = []
    for fig in figures:
        if fig.detail:
            continue
        for program in fig.runs:
            ratio = fig.ratio(program) if program != "socklab" else None
            if ratio:
                parts = fig.name.split(", ")
                short = f"{parts[0]} {parts[-1]}" if fig.scenario == "echo" and len(parts) > 2 else parts[0]
                rows.append((f"{fig.scenario}: {short} vs {program}".replace('"', "'"), ratio))
    return rows


def chart(figures, rounds):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        say("bench: gnuplot is not installed (./socklab bench installs it); no chart")
        return
    rows = bars(figures)
    if not rows:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".dat") as data:
        for i, (label, ratio) in enumerate(rows):
            data.write(f'{i} {ratio:.4f} "{label}"\n')
        data.flush()
        script = f"""
set terminal pngcairo size 1000,{200 + 28 * len(rows)} font ",10"
set output "{PNG}"
set title "socklab / peer (above 1: socklab is better), median of {rounds} runs"
set style fill solid 0.8
set boxwidth 0.7
set yrange [-1:{len(rows)}]
set ytics ()
set logscale x 2
set xlabel "ratio (log scale)"
set grid x
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
unset key
plot "{data.name}" using (1):1:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($1 - 0.35):($1 + 0.35):ytic(3) \\
     with boxxyerror lc rgb "#4477aa" notitle
"""
        r = subprocess.run([gnuplot], input=script.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        say(f"bench: gnuplot failed: {r.stderr.decode()[-300:]}")
    else:
        say(f"bench: wrote {PNG}")
