"""Sweeps with warm-started chains against every point planned from scratch.

    python benchmarks/sweep_bench.py                    # two sweeps, serial, chain 4 vs 1
    python benchmarks/sweep_bench.py --workers 2 --repeat 3

The scenario is parallel_bench.py's (3 halls, 12 quarters, 4 served models, the builtin
catalogue; `--gap` sets its mip_rel_gap). Each sweep is timed as the command a user runs,
``planner sweep BASE --vary ... -o DIR``, in a fresh process: once with ``--chain 1``
(every point planned from scratch, with the start heuristic) and once with ``--chain N``
(each point of a chain starts from the previous point's plan when it is feasible there).
It prints the wall times, the speed-up, and the largest relative difference between the
two runs' total costs, which must stay within the plans' mip_rel_gap.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parallel_bench import run_planner, write_scenario  # noqa: E402

SWEEPS = [("sites.hall-b.power_mw", "5:40:5"), ("sites.hall-a.electricity_usd_per_mwh",
                                                  "40:140:20")]


def run_sweep(base: Path, path: str, spec: str, out: Path, chain: int, workers: int
              ) -> tuple[float, list[dict[str, str]]]:
    wall = run_planner(["sweep", str(base), "--vary", f"{path}={spec}", "-o", str(out),
                        "--chain", str(chain), "--workers", str(workers), "--quiet"])
    return wall, list(csv.DictReader(io.StringIO((out / "sweep.csv").read_text())))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chain", type=int, default=4, help="points per warm-started chain")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each mode; the median "
                    "is reported")
    ap.add_argument("--growth", type=float, default=1.2, help="demand growth per quarter")
    ap.add_argument("--gap", type=float, default=1e-4, help="solver.mip_rel_gap of the plans")
    args = ap.parse_args(argv)
    print(f"cores: {os.cpu_count()}, load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; workers {args.workers}, "
          f"mip_rel_gap {args.gap:g}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        folder = Path(tmp)
        base = write_scenario(folder, args.growth, args.gap)
        for path, spec in SWEEPS:
            cold_t, warm_t = [], []
            for k in range(args.repeat):
                t, cold = run_sweep(base, path, spec, folder / f"c{k}", 1, args.workers)
                cold_t.append(t)
                t, warm = run_sweep(base, path, spec, folder / f"w{k}", args.chain,
                                    args.workers)
                warm_t.append(t)
            worst = 0.0
            for a, b in zip(cold, warm, strict=True):
                if a["status"] != b["status"]:
                    ok = False
                if a["total_cost_usd"] and b["total_cost_usd"]:
                    ca, cb = float(a["total_cost_usd"]), float(b["total_cost_usd"])
                    worst = max(worst, abs(ca - cb) / max(1.0, abs(ca)))
            ok = ok and worst <= args.gap
            c, w = statistics.median(cold_t), statistics.median(warm_t)
            print(f"{path}={spec}: {len(cold)} points, statuses "
                  f"{sorted({r['status'] for r in warm})}")
            print(f"  --chain 1 (every point from scratch): {c:6.2f} s  runs: "
                  f"{', '.join(f'{x:.2f}' for x in cold_t)}")
            print(f"  --chain {args.chain} (warm-started chains):    {w:6.2f} s  runs: "
                  f"{', '.join(f'{x:.2f}' for x in warm_t)}")
            print(f"  speed-up {c / w:.2f}x; largest relative cost difference {worst:.2e} "
                  f"(mip_rel_gap {args.gap:g})")
    print("costs agree within the gap: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
