"""Where the time goes on one scenario: LP bound, start plan, incumbents and bound over time.

For each (family, size, seed) this plans the scenario as the planner does (strong
formulation, start plan, HiGHS with `mip_rel_gap` 1e-3) and prints one line per run with:

- `lp_gap`: how far the LP relaxation's bound lies below the best plan found,
  (best - LP bound) / best: what the root bound leaves for HiGHS's search to close;
- `start_gap`: how far the start plan lies above the best plan, (start - best) / best;
- `inc_1pct_s` / `bound_1pct_s`: seconds from the start of loading until an incumbent,
  respectively HiGHS's proven bound, first came within 1% of the best plan: which of the
  two decided the time to a 1% gap (`t_1pct_s`);
- HiGHS's node count and the seconds it ran.

With `--noheur` the same without the start plan (HiGHS alone on the strong formulation).
The best plan is the best found in this run, so the shares are lower bounds of the truth
when the run ends above the optimum.

    python benchmarks/probe.py --families installed-base --sizes medium --seeds 1-4
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def probe(scenario: Path, time_limit: float, heuristic: bool, seed: int) -> dict[str, Any]:
    """One run of the planner's solve path on `scenario`, with its trace."""
    import planner.core.build  # noqa: F401 - imports before the clock, as run.py does
    import planner.core.compile  # noqa: F401
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.highs import HighsSettings, highs_instance, run_highs
    from planner.core.prepare import prepare
    from planner.core.solve import HEURISTIC_SHARE
    from planner.core.start import start_plan
    from planner.deadline import Deadline
    from planner.inputs.loader import load_inputs

    t0 = time.perf_counter()
    data = prepare(load_inputs(scenario))
    compiled = compile_model(build_model(data))
    prog = compiled.program
    settings = HighsSettings(time_limit_s=time_limit, mip_rel_gap=1e-3, threads=0,
                             random_seed=seed)
    h = highs_instance(prog, settings)
    deadline = Deadline(t0, time_limit)
    trace: list[tuple[float, float, float]] = []  # (seconds since t0, incumbent, bound)
    start, lp_bound, start_obj = None, math.nan, math.nan
    if heuristic:
        start = start_plan(compiled, time_limit_s=HEURISTIC_SHARE * deadline.remaining())
        lp_bound = start.lp_bound if start.lp_bound is not None else math.nan
        start_obj = start.objective if start.objective is not None else math.nan
        trace.append((time.perf_counter() - t0, start_obj, lp_bound))
    left = max(1e-3, deadline.remaining())
    h.setOptionValue("time_limit", left)
    t_run = time.perf_counter()

    def on_progress(p: dict[str, float]) -> None:
        trace.append((t_run + p["running_time"] - t0, p["objective"], p["bound"]))

    out = run_highs(h, True, start=None if start is None or start.x is None else start.x,
                    progress=on_progress, stop_at=deadline.stop_at(left), program=prog)
    end = time.perf_counter() - t0
    if out.objective is not None and out.best_bound is not None:
        trace.append((end, out.objective, out.best_bound))
    best = min((inc for _t, inc, _b in trace if math.isfinite(inc)), default=math.nan)

    def first(pred: Any) -> float:
        return next((t for t, inc, b in trace if pred(inc, b)), math.nan)

    def rel(a: float, b: float) -> float:
        return (a - b) / abs(b) if math.isfinite(a) and math.isfinite(b) and b else math.nan

    incumbent = math.inf
    t_1 = math.nan
    bound = -math.inf
    for t, inc, b in trace:  # the gap of the best incumbent and bound so far
        incumbent, bound = min(incumbent, inc), max(bound, b)
        if math.isnan(t_1) and incumbent < math.inf and rel(incumbent, bound) <= 0.01:
            t_1 = t
    info = h.getInfo()
    return {"status": out.status, "columns": prog.shape[1], "integers": int(prog.integer.sum()),
            "lp_gap": rel(best, lp_bound) if heuristic else math.nan,
            "start_gap": rel(start_obj, best) if heuristic else math.nan,
            "t_1pct_s": t_1,
            "inc_1pct_s": first(lambda inc, b: rel(inc, best) <= 0.01),
            "bound_1pct_s": first(lambda inc, b: rel(best, b) <= 0.01),
            "final_gap": rel(out.objective or math.nan, out.best_bound or math.nan),
            "nodes": int(info.mip_node_count), "highs_s": float(h.getRunTime()),
            "wall_s": end}


def main(argv: list[str] | None = None) -> None:
    from families import parse_seeds
    from run import write_scenario

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", default="installed-base")
    ap.add_argument("--sizes", default="medium")
    ap.add_argument("--seeds", default="1-2")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--noheur", action="store_true", help="also run without the start plan")
    args = ap.parse_args(argv)
    cols = ["family", "size", "seed", "start", "status", "columns", "integers", "lp_gap",
            "start_gap", "inc_1pct_s", "bound_1pct_s", "t_1pct_s", "final_gap", "nodes",
            "highs_s", "wall_s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families.split(","):
            for size in args.sizes.split(","):
                for seed in parse_seeds(args.seeds):
                    folder = Path(tmp) / f"{family}-{size}-{seed}"
                    path = write_scenario(family, size, seed, folder, {})
                    for heur in [True, False] if args.noheur else [True]:
                        r = probe(path, args.time_limit, heur, seed)
                        row = {"family": family, "size": size, "seed": seed,
                               "start": "yes" if heur else "no", **r}
                        print("| " + " | ".join(_fmt(row[c]) for c in cols) + " |",
                              flush=True)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.3g}"
    return str(v)


if __name__ == "__main__":
    main()
