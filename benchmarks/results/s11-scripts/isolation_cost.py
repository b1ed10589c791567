"""One-off (session 11, finding 24): what solving a plan's MIP in a process of its own costs
beside solving it here, on the same program, alternating, N times each.

    python isolation_cost.py <scenario.yaml> [N, default 5]

Prints per run the seconds of `planner.core.isolated.run_isolated` and of `run_highs` on a
fresh instance here (both from the same start: none), and the objective each found.
"""
import statistics
import sys
import time
from pathlib import Path

from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.highs import HighsSettings, highs_instance, run_highs
from planner.core.isolated import run_isolated
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs

prog = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1]))))).program
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
settings = HighsSettings(time_limit_s=300.0, mip_rel_gap=1e-3)
print(f"{sys.argv[1]}: {prog.shape[1]} columns, {prog.A.nnz} non-zeros")
times: dict[str, list[float]] = {"own process": [], "here": []}
for i in range(n):
    for where in ("own process", "here"):
        t = time.perf_counter()
        if where == "here":
            out = run_highs(highs_instance(prog, settings), True, program=prog)
        else:
            out = run_isolated(prog, settings, None, None, time.perf_counter() + 600.0)
        took = time.perf_counter() - t
        times[where].append(took)
        print(f"run {i + 1} {where:11s} {took:7.2f} s  {out.status} {out.objective!r}")
for where, ts in times.items():
    print(f"{where:11s} median {statistics.median(ts):.2f} s over {n}")
print(f"difference of medians: {statistics.median(times['own process']) - statistics.median(times['here']):.2f} s")
