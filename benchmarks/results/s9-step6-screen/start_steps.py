"""One-off (session 9, findings 18 and 19): the start plan of one scenario, each step's
plan cost and seconds as it ends (the LP solves, step 5's improvement, step 6 hall by
hall, step 7 RINS), and its gap to the LP bound.

    python start_steps.py <scenario.yaml> [limit seconds, default 60] [crossover on|off]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import planner.core.start as start
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs


def timed(name: str) -> None:
    real = getattr(start, name)

    def wrapper(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        out = real(*a, **k)
        cost = out[1] if isinstance(out, tuple) else None
        print(f"  {name}: {cost} {time.perf_counter() - t:.2f} s", flush=True)
        return out

    setattr(start, name, wrapper)


def main() -> None:
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    t = time.perf_counter()
    comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
    print(f"built {comp.program.shape} in {time.perf_counter() - t:.1f} s", flush=True)
    if len(sys.argv) > 3:
        relaxation = start._relaxation

        def with_crossover(*a: Any, **k: Any) -> Any:
            session = relaxation(*a, **k)
            session.set_option("run_crossover", sys.argv[3])
            return session

        start._relaxation = with_crossover  # type: ignore[assignment]
    for name in ("_lp", "_improve", "_by_hall", "_rins"):
        timed(name)
    t = time.perf_counter()
    plan = start.start_plan(comp, time_limit_s=limit)
    gap = (None if plan.objective is None or plan.lp_bound is None
           else (plan.objective - plan.lp_bound) / plan.objective)
    print(f"start plan {plan.objective}, LP bound {plan.lp_bound}, gap {gap}, "
          f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
