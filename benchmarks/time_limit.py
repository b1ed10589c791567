"""Does `--time-limit` bound the whole command? `planner plan` run as a user runs it.

    python benchmarks/time_limit.py --families installed-base --sizes large --seeds 1-3 \\
        --time-limit 120 --modes report,no-report --out benchmarks/results/time-limit-large

For every family, size, seed and mode it writes a scenario (as `benchmarks/run.py` does:
``generate`` is `benchmarks/generate.py`, the others `benchmarks/families.py`) and runs
``python -m planner plan <scenario> -o <out> --time-limit T [--no-report]`` in a fresh
process, the planner of this checkout (``PYTHONPATH``), and prints per run:

- ``wall_s``: from starting the process to its end (Python's start-up and imports, the
  plan, the analyses, the report, the files); ``over_s``: wall_s - T (issue 16: at most a
  few seconds); ``max_rss_mb``: the process's peak memory, its children's included;
- from summary.json: ``status``, ``gap`` (HiGHS's at the stop), ``solver_status``, and
  ``skipped``: which analyses the report skipped or cut short (``-`` for none).

Prints and saves ``runs.csv``/``runs.md``; runs one at a time (two would share the cores).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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

FIELDS = ["family", "size", "seed", "mode", "limit_s", "wall_s", "over_s", "max_rss_mb",
          "exit", "status", "gap", "solver_status", "skipped"]


def run_one(scenario: Path, out: Path, limit_s: float, mode: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "planner", "plan", str(scenario), "-o", str(out),
           "--time-limit", f"{limit_s:g}"]
    if mode == "no-report":
        cmd.append("--no-report")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    row: dict[str, Any] = {"mode": mode, "limit_s": limit_s, "wall_s": round(wall, 1),
                           "over_s": round(wall - limit_s, 1), "exit": proc.returncode}
    summary = out / "summary.json"
    if summary.exists():
        d = json.loads(summary.read_text())
        gap = d.get("mip_gap")
        row.update(status=d.get("status"), solver_status=d.get("solver_status"),
                   gap="-" if gap is None else f"{100 * gap:.2f}%",
                   skipped=",".join(sorted(d.get("analyses_skipped") or {})) or "-")
    else:
        row.update(status="no plan", skipped=err.decode(errors="replace").strip()[-120:])
    return row


def _measured(scenario: Path, out: Path, limit_s: float, mode: str) -> dict[str, Any]:
    """`run_one` in a process of its own, so that its peak memory is this run's alone."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(scenario),
           "--child-out", str(out), "--time-limit", str(limit_s), "--modes", mode]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"mode": mode, "status": "error: " + proc.stderr.strip()[-200:]}
    row: dict[str, Any] = json.loads(lines[-1])
    return row


def _child(scenario: str, out: str, limit_s: float, mode: str) -> None:
    import resource

    row = run_one(Path(scenario), Path(out), limit_s, mode)
    row["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps(row))


def _md(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in FIELDS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="installed-base",
                    help="comma-separated, or 'all' (generate and every families.py family)")
    ap.add_argument("--sizes", default="large")
    ap.add_argument("--seeds", default="1-3")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--modes", default="report,no-report",
                    help="report (the whole planner plan) and/or no-report (--no-report)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _child(a.child, a.child_out, a.time_limit, a.modes)
        return
    from families import FAMILIES, parse_seeds
    from run import write_scenario

    fams = ["generate", *FAMILIES] if a.families == "all" else a.families.split(",")
    rows: list[dict[str, Any]] = []
    print(_md([]), end="", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for fam in fams:
            for size in a.sizes.split(","):
                for seed in parse_seeds(a.seeds):
                    sc = write_scenario(fam, size, seed, Path(tmp) / f"{fam}-{size}-{seed}",
                                        {})
                    for mode in a.modes.split(","):
                        out = Path(tmp) / f"out-{fam}-{size}-{seed}-{mode}"
                        row = {"family": fam, "size": size, "seed": seed,
                               **_measured(sc, out, a.time_limit, mode)}
                        rows.append(row)
                        print(_md([row]).splitlines()[-1], flush=True)
    if a.out:
        out_dir = Path(a.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / "runs.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        (out_dir / "runs.md").write_text(_md(rows))


if __name__ == "__main__":
    main()
