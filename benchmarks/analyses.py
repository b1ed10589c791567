"""The analyses against the plan: what `planner plan`'s report costs beside the plan.

    python benchmarks/analyses.py --families all --sizes medium --seeds 1-3 \\
        --time-limit 120 --out benchmarks/results/analyses-medium

For every family, size and seed it writes a scenario (as `benchmarks/run.py` does:
``generate`` is `benchmarks/generate.py`, the others `benchmarks/families.py`) and runs the
whole `planner plan` (the plan, its analyses, the report and the files:
`planner.workflow.plan.plan_to_folder`) in its own subprocess, timing the stages from
the command's start (after Python's imports of the planner's CLI, as `planner plan`
starts):

- ``plan_s``: until the first analysis step (loading, the solver stack's import,
  building, the start plan, HiGHS, extracting, and the limits table, a few tenths of a
  second: the time `planner.deadline.analysis_budget_s` gives the analyses);
- ``analyses_s``: the baseline plans and the marginal values (until the files are
  written), with their budget ``budget_s`` (summary.json's ``analysis_budget``);
- ``report_s``: building the report and writing the files; ``wall_s``: the whole run;
- ``ratio``: analyses_s / plan_s (issue 16's target: at most 1 at medium size);
- how many marginal steps were re-solved, kept their LP estimate as below the solver's
  noise, or were left out by the budget; how many baseline plans were solved.

Prints and saves ``runs.csv``/``runs.md`` and a per-family ``summary.md`` (geometric mean
of the ratio over seeds, and its worst seed).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

FIELDS = ["family", "size", "seed", "status", "plan_s", "budget_s", "analyses_s",
          "report_s", "wall_s", "ratio", "steps", "resolved", "below_noise", "budget_cut",
          "baselines_solved", "baselines"]


def _child(scenario: str, out: str, time_limit: float) -> None:
    """One whole `planner plan` run, timed by stage; prints one JSON line."""
    t0 = time.perf_counter()
    from planner.workflow.plan import plan_to_folder

    marks: dict[str, float] = {}

    class Progress:
        def on_stage(self, stage: str, elapsed_s: float = 0.0) -> None:
            marks.setdefault(stage, time.perf_counter() - t0)

        def on_solver(self, info: dict[str, float]) -> None:
            pass

        def on_step(self, stage: str, done: int, total: int, label: str) -> None:
            marks.setdefault("analyses", time.perf_counter() - t0)

        def on_warning(self, message: str) -> None:
            pass

    result = plan_to_folder(Path(scenario), Path(out), time_limit_s=time_limit,
                            progress=Progress(), started_at=t0)
    wall = time.perf_counter() - t0
    summary = json.loads((Path(out) / "summary.json").read_text())
    budget = summary.get("analysis_budget") or {}
    plan_s = sum(v for k, v in result.timings.items() if k.endswith("_s"))
    # the plan as `analysis_budget_s` sees it: from the start to the analyses
    plan_s = marks.get("analyses", plan_s)
    analyses = marks.get("write", wall) - plan_s if "analyses" in marks else 0.0
    row: dict[str, Any] = {"status": summary["status"], "plan_s": plan_s,
                           "budget_s": budget.get("budget_s"), "analyses_s": analyses,
                           "wall_s": wall, "report_s": wall - plan_s - analyses}
    row.update(_marginal_counts(Path(out) / "marginal_values.csv"))
    row.update(_baseline_counts(Path(out) / "baselines.csv"))
    print(json.dumps(row))


def _marginal_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {"steps": 0, "resolved": 0, "below_noise": 0, "budget_cut": 0}
    rows = list(csv.DictReader(path.open()))
    return {"steps": len(rows),
            "resolved": sum(r["value_usd"] != "" for r in rows),
            "below_noise": sum("noise" in r["method"] for r in rows),
            "budget_cut": sum("budget" in r["method"] or "time limit" in r["method"]
                              for r in rows if r["value_usd"] == "")}


def _baseline_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {"baselines_solved": 0, "baselines": 0}
    rows = [r for r in csv.DictReader(path.open()) if r["baseline"] != "optimised"]
    return {"baselines_solved": sum(r["status"] not in ("skipped",) for r in rows),
            "baselines": len(rows)}


def run_one(scenario: Path, out: Path, time_limit: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(scenario),
           "--child-out", str(out), "--time-limit", str(time_limit)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              timeout=3 * time_limit + 120)
    except subprocess.TimeoutExpired:
        return {"status": "killed"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "error: " + " | ".join(tail)}
    row: dict[str, Any] = json.loads(lines[-1])
    plan_s, analyses = row.get("plan_s"), row.get("analyses_s")
    row["ratio"] = analyses / plan_s if plan_s and analyses == analyses else math.nan
    return row


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _md(rows: list[dict[str, Any]], fields: list[str]) -> str:
    out = ["| " + " | ".join(fields) + " |", "|" + " --- |" * len(fields)]
    out += ["| " + " | ".join(_fmt(r.get(f, "")) for f in fields) + " |" for r in rows]
    return "\n".join(out) + "\n"


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per family and size: geometric mean of the ratio over seeds, and its worst seed."""
    out: list[dict[str, Any]] = []
    keys = list(dict.fromkeys((r["family"], r["size"]) for r in rows))
    for fam, size in keys:
        rs = [r for r in rows if (r["family"], r["size"]) == (fam, size)
              and isinstance(r.get("ratio"), float) and r["ratio"] == r["ratio"]]
        if not rs:
            out.append({"family": fam, "size": size, "seeds": 0})
            continue
        gm = math.exp(sum(math.log(max(r["ratio"], 1e-9)) for r in rs) / len(rs))
        worst = max(rs, key=lambda r: r["ratio"])
        out.append({"family": fam, "size": size, "seeds": len(rs),
                    "plan_s_gm": math.exp(sum(math.log(r["plan_s"]) for r in rs) / len(rs)),
                    "analyses_s_gm": math.exp(sum(math.log(max(r["analyses_s"], 1e-9))
                                                  for r in rs) / len(rs)),
                    "ratio_gm": gm, "ratio_max": worst["ratio"],
                    "worst_seed": worst["seed"],
                    "resolved_of_steps": f"{sum(r['resolved'] for r in rs)} / "
                                         f"{sum(r['steps'] for r in rs)}"})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="generate",
                    help="comma-separated, or 'all' (generate and every families.py family)")
    ap.add_argument("--sizes", default="medium")
    ap.add_argument("--seeds", default="1-3")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(a.child, a.child_out, a.time_limit)
        return
    from families import FAMILIES, parse_seeds
    from run import write_scenario

    fams = ["generate", *FAMILIES] if a.families == "all" else a.families.split(",")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for fam in fams:
            for size in a.sizes.split(","):
                for seed in parse_seeds(a.seeds):
                    sc = write_scenario(fam, size, seed, Path(tmp) / f"{fam}-{size}-{seed}",
                                        {})
                    row = {"family": fam, "size": size, "seed": seed,
                           **run_one(sc, Path(tmp) / f"out-{fam}-{size}-{seed}",
                                     a.time_limit)}
                    rows.append(row)
                    print(_md([row], FIELDS).splitlines()[-1], flush=True)
    summary = summarise(rows)
    text = _md(summary, ["family", "size", "seeds", "plan_s_gm", "analyses_s_gm", "ratio_gm",
                         "ratio_max", "worst_seed", "resolved_of_steps"])
    print(text)
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        with (out / "runs.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        (out / "runs.md").write_text(_md(rows, FIELDS))
        (out / "summary.md").write_text(text)


if __name__ == "__main__":
    main()
