"""Seconds and memory of every stage before HiGHS starts, per formulation and family.

    python benchmarks/build_profile.py --size large --seed 1

Generates the scenario, then times load, prepare (validate + index sets), each variable
and constraint family of `planner.core.constraints`, Pyomo's standard-form compiler, and
the hand-over to HiGHS (`passModel`), for the strong and the plain formulation. Peak memory
is this process's `ru_maxrss` after both. Python's cyclic collector is paused over the
build and compile, as `planner.core.build.build_model` and
`planner.core.compile.compile_model` do (`planner.gcpause`).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyomo.environ as pyo  # noqa: E402

from planner.core.build import build_model  # noqa: E402
from planner.core.compile import CompiledModel, compile_model  # noqa: E402
from planner.core.constraints import CONSTRAINT_FAMILIES  # noqa: E402
from planner.core.highs import HighsSettings, MatrixProgram, highs_instance  # noqa: E402
from planner.core.objective import add_objective  # noqa: E402
from planner.core.prepare import prepare  # noqa: E402
from planner.core.start import start_plan  # noqa: E402
from planner.core.variables import add_variables  # noqa: E402
from planner.gcpause import paused_gc  # noqa: E402
from planner.inputs.loader import load_inputs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="large")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lp", action="store_true",
                    help="also time the strong LP relaxation by dual simplex and by IPM")
    ap.add_argument("--start-plan", action="store_true",
                    help="also run the start heuristic and print its gap to the LP bound")
    ap.add_argument("--oracle", type=int, default=0, metavar="N",
                    help="solve to optimality, then N times: HiGHS handed the optimal plan "
                         "as its start; print the median seconds from hand-over until the "
                         "proven gap is under 1%% (a floor for any start heuristic)")
    a = ap.parse_args()
    from generate import write

    with tempfile.TemporaryDirectory() as tmp:
        path = write(a.size, a.seed, Path(tmp) / "sc")
        t = time.perf_counter()
        inputs = load_inputs(path)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        data = prepare(inputs)
        t_prep = time.perf_counter() - t
    print(f"{a.size} seed {a.seed}: load {t_load:.2f} s, prepare {t_prep:.2f} s")
    for form in ("strong", "plain"):
        parts: list[tuple[str, float]] = []
        gc_pause = paused_gc()  # as build_model and compile_model do
        gc_pause.__enter__()
        m = pyo.ConcreteModel()
        t = time.perf_counter()
        add_variables(m, data, form)
        parts.append(("variables", time.perf_counter() - t))
        for fam in CONSTRAINT_FAMILIES:
            t = time.perf_counter()
            fam(m, data)
            parts.append((fam.__name__.removeprefix("add_").removesuffix("_constraints"),
                          time.perf_counter() - t))
        t = time.perf_counter()
        add_objective(m, data)
        parts.append(("objective", time.perf_counter() - t))
        build = sum(v for _, v in parts)
        t = time.perf_counter()
        compiled = compile_model(m)
        t_comp = time.perf_counter() - t
        gc_pause.__exit__(None, None, None)
        t = time.perf_counter()
        highs_instance(compiled.program, HighsSettings())
        t_hand = time.perf_counter() - t
        rows, cols = compiled.program.shape
        print(f"  {form}: {cols} columns, {rows} rows, {compiled.program.A.nnz} non-zeros; "
              f"build {build:.2f} s, compile {t_comp:.2f} s, hand-over {t_hand:.2f} s, "
              f"total {t_load + t_prep + build + t_comp + t_hand:.2f} s")
        print("    " + ", ".join(f"{k} {v:.2f}" for k, v in parts))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory {peak:.0f} MB")
    strong = compile_model(build_model(data))
    if a.lp:
        import numpy as np

        prog = strong.program
        relaxed = MatrixProgram(prog.c, prog.offset, prog.A, prog.row_lo, prog.row_hi,
                                  prog.col_lo, prog.col_hi, np.zeros_like(prog.integer))
        for solver in ("simplex", "ipm"):
            h = highs_instance(relaxed, HighsSettings(time_limit_s=300))
            h.setOptionValue("solver", solver)
            t = time.perf_counter()
            h.run()
            print(f"  LP relaxation by {solver}: {time.perf_counter() - t:.2f} s, "
                  f"{h.modelStatusToString(h.getModelStatus())}, "
                  f"objective {h.getInfo().objective_function_value:.6g}")
    if a.oracle:
        oracle(strong, a.oracle)
    if a.start_plan:
        sp = start_plan(strong)
        if sp.objective is None or sp.lp_bound is None:
            print("  start plan: none found")
        else:
            gap = (sp.objective - sp.lp_bound) / abs(sp.objective)
            print(f"  start plan: {sp.seconds:.2f} s, objective {sp.objective:.6g}, "
                  f"LP bound {sp.lp_bound:.6g}, gap {gap:.4%}")


def oracle(compiled: CompiledModel, repeats: int) -> None:
    """Seconds HiGHS needs to prove 1% when its start is the optimal plan itself."""
    import math
    import statistics

    from planner.core.highs import run_highs

    best = run_highs(highs_instance(compiled.program, HighsSettings(time_limit_s=300,
                                                                      mip_rel_gap=1e-6)), True)
    if best.objective is None or best.x is None:
        print("  oracle: no optimum found")
        return
    opt = best.objective
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        h = highs_instance(compiled.program, HighsSettings(time_limit_s=60, mip_rel_gap=1e-2))
        hit: list[float] = []
        t_run = time.perf_counter()

        def on_event(e: object, t_run: float = t_run, hit: list[float] = hit) -> None:
            d = getattr(e, "data_out", None)
            bound = float(getattr(d, "mip_dual_bound", -math.inf))
            if not hit and math.isfinite(bound) and (opt - bound) <= 0.01 * abs(opt):
                hit.append(t_run + float(getattr(d, "running_time", 0.0)))

        h.cbMipInterrupt.subscribe(on_event)
        h.cbMipImprovingSolution.subscribe(on_event)
        out = run_highs(h, True, start=best.x)
        end = time.perf_counter()
        if not hit and out.best_bound is not None and opt - out.best_bound <= 0.01 * abs(opt):
            hit.append(end)
        times.append((hit[0] if hit else end) - t0)
    print(f"  oracle: optimum {opt:.6g}; HiGHS started from it proves 1% in "
          f"{statistics.median(times) * 1000:.1f} ms after hand-over (median of {repeats})")


if __name__ == "__main__":
    main()
