"""How far the start plan lies above the LP bound, per family and seed, with and without
its late steps (step 6, hall by hall; step 7, RINS: `planner.core.start`).

For each scenario this runs `start_plan` three times on the same compiled program and
prints one line: the gap (plan - LP bound) / plan and the seconds of the start plan as
shipped, without step 7 (`RINS_FROM_GAP` infinite: also without the step 6 that follows
step 7) and without steps 6 and 7, and which steps ran (a step that found nothing cheaper
is not listed; "7" covers step 7 and the step 6 after it). It solves no MIP beyond the
start plan's own small ones; a start plan within 1% of the bound proves a 1% gap by
itself.

    python benchmarks/start_gaps.py --families all --sizes medium --seeds 1-5
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def gaps(scenario: Path) -> dict[str, Any]:
    """The start plan's gap to its LP bound and its seconds, three ways."""
    import planner.core.start as start
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.prepare import prepare
    from planner.inputs.loader import load_inputs

    compiled = compile_model(build_model(prepare(load_inputs(scenario))))
    out: dict[str, Any] = {}
    for name, off in (("shipped", ()), ("no7", ("RINS_FROM_GAP",)),
                      ("no67", ("RINS_FROM_GAP", "REOPT_FROM_GAP"))):
        saved = {k: getattr(start, k) for k in off}
        for k in off:
            setattr(start, k, math.inf)
        try:
            sp = start.start_plan(compiled, time_limit_s=60.0)
        finally:
            for k, v in saved.items():
                setattr(start, k, v)
        gap = math.nan
        if sp.objective is not None and sp.lp_bound is not None:
            gap = (sp.objective - sp.lp_bound) / max(abs(sp.objective), 1.0)
        out[f"{name}_gap"], out[f"{name}_s"] = gap, sp.seconds
        out[f"{name}_obj"] = sp.objective
    ran = []
    if out["no7_obj"] is not None and out["no67_obj"] is not None \
            and out["no7_obj"] < out["no67_obj"]:
        ran.append("6")
    if out["shipped_obj"] is not None and out["no7_obj"] is not None \
            and out["shipped_obj"] < out["no7_obj"]:
        ran.append("7")
    out["improved_by"] = "+".join(ran) or "-"
    return out


def main(argv: list[str] | None = None) -> None:
    from families import FAMILIES, parse_seeds
    from run import write_scenario

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", default="all")
    ap.add_argument("--sizes", default="medium")
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--v2", default="", metavar="FEATURES",
                    help="contract v2 features, as run.py's --v2")
    a = ap.parse_args(argv)
    v2 = {f.replace("-", "_"): True for f in a.v2.split(",") if f}
    fams = ["generate", *FAMILIES] if a.families == "all" else a.families.split(",")
    cols = ["family", "size", "seed", "shipped_gap", "shipped_s", "no7_gap", "no7_s",
            "no67_gap", "no67_s", "improved_by"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    with tempfile.TemporaryDirectory() as tmp:
        for fam in fams:
            for size in a.sizes.split(","):
                for seed in parse_seeds(a.seeds):
                    path = write_scenario(fam, size, seed, Path(tmp) / f"{fam}-{size}-{seed}",
                                          v2)
                    row = {"family": fam, "size": size, "seed": seed, **gaps(path)}
                    print("| " + " | ".join(_fmt(c, row[c]) for c in cols) + " |", flush=True)


def _fmt(col: str, v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{100 * v:.2f}%" if col.endswith("_gap") else f"{v:.2f}"
    return str(v)


if __name__ == "__main__":
    main()
