"""What-if variants planned serially and with local worker processes: wall times, speed-up.

    python benchmarks/parallel_bench.py                 # 8 what-ifs + base, serial vs 2 workers
    python benchmarks/parallel_bench.py --variants 12 --workers 2 --repeat 3
    python benchmarks/parallel_bench.py --repeat 6 --against /tmp/old   # and another checkout

The scenario is built here (the builtin catalogue and model profiles, three halls, twelve
quarters, four served models with growing demand) with one what-if file per variant
(the new hall's power and the electricity price changed). The script times the whole
command a user runs, ``planner compare BASE --what-if ... -o DIR``, in a fresh process:
once with ``--workers 1`` (serial) and once with ``--workers N``, and checks that both
wrote byte-identical comparison tables and plan files before printing the times. It also
prints the machine's load average and a probe of how many cores' worth of CPU are free
(a busy loop alone, then N copies at once): other work on the machine slows the parallel
run more than the serial one, so read the speed-up with them.

``--against DIR`` also times ``--workers N`` with the planner code of another checkout
(``git archive REV | tar -x -C DIR``), in the same rounds: each round runs every mode
once, in an order that rotates from round to round, so two runners are compared under the
same load.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """\
name: parallel-bench
horizon: {start: 2027Q1, periods: 12, granularity: quarter}
catalog: builtin
models: builtin
demand: demand.csv
sites:
  - {name: hall-a, power_mw: 20, pue: 1.3, electricity_usd_per_mwh: 80, cooling: air,
     existing: [{system: hgx-h100, units: 300, retire_after: 2028Q2}]}
  - {name: hall-b, power_mw: 30, pue: 1.15, electricity_usd_per_mwh: 60, cooling: liquid,
     available_from: 2027Q3}
  - {name: hall-c, power_mw: 15, pue: 1.2, electricity_usd_per_mwh: 90, cooling: liquid,
     available_from: 2028Q1}
options: {target_utilization: 0.7, average_power_fraction: 0.8, unmet_penalty_usd_per_mtok: 50}
solver: {mip_rel_gap: GAP, time_limit_s: 300}
"""

# served model, first-quarter tokens/s, SLO (tokens/s per user)
MODELS = [("llama-3.3-70b-fp8", 2.0e6, 30), ("deepseek-r1-fp8", 1.0e6, 20),
          ("gpt-oss-120b", 3.0e6, 50), ("llama-3.3-70b-fp4", 1.0e6, 60)]


def write_scenario(folder: Path, growth: float, gap: float) -> Path:
    rows = ["period,model,tokens_per_s,min_tokens_per_s_per_user"]
    for t in range(12):
        label = f"{2027 + t // 4}Q{t % 4 + 1}"
        for model, rate, slo in MODELS:
            rows.append(f"{label},{model},{rate * growth ** t:.6g},{slo}")
    (folder / "demand.csv").write_text("\n".join(rows) + "\n")
    path = folder / "scenario.yaml"
    path.write_text(SCENARIO.replace("GAP", repr(gap)))
    return path


def write_whatifs(folder: Path, n: int) -> list[Path]:
    files = []
    for i in range(n):
        f = folder / f"v{i + 1:02d}.yaml"
        f.write_text(f"sites:\n  - name: hall-b\n    power_mw: {20 + 5 * (i % 4)}\n"
                     f"  - name: hall-a\n    electricity_usd_per_mwh: {60 + 20 * (i // 4)}\n")
        files.append(f)
    return files


def run_planner(args: list[str], root: Path = ROOT) -> float:
    """Wall seconds of one `planner ...` command in a fresh process (the code of the
    checkout `root`, by default this one); a failure stops the benchmark with the
    command's output."""
    cmd = [sys.executable, "-m", "planner", *args]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH",
                                                                              ""))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"planner {args[0]} exited {proc.returncode}")
    return wall


def run_compare(base: Path, whatifs: list[Path], out: Path, workers: int,
                root: Path = ROOT) -> float:
    args = ["compare", str(base)]
    for f in whatifs:
        args += ["--what-if", str(f)]
    return run_planner([*args, "-o", str(out), "--workers", str(workers), "--quiet"], root)


def same_outputs(a: Path, b: Path) -> bool:
    """Every file both runs wrote is byte-identical, except summary.json (wall times)."""
    for fa in sorted(a.rglob("*")):
        if fa.is_dir() or fa.name == "summary.json":
            continue
        fb = b / fa.relative_to(a)
        if not fb.exists() or not filecmp.cmp(fa, fb, shallow=False):
            return False
    return True


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x ^= i
    return time.perf_counter() - t0


def free_cores(workers: int, n: int = 15_000_000) -> float:
    """How many cores' worth of CPU the machine gives right now: a busy loop timed alone,
    then `workers` copies at once (1.0 = no gain from parallel processes at all)."""
    import multiprocessing

    alone = _spin(n)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_spin, [1000] * workers * 4)  # workers up before the clock starts
        t0 = time.perf_counter()
        pool.map(_spin, [n] * workers)
        together = time.perf_counter() - t0
    return workers * alone / together


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=8, help="what-if files (plus the base)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each mode; the median "
                    "is reported")
    ap.add_argument("--growth", type=float, default=1.2,
                    help="demand growth per quarter")
    ap.add_argument("--gap", type=float, default=1e-5, help="solver.mip_rel_gap of the plans")
    ap.add_argument("--against", type=Path, default=None, metavar="DIR",
                    help="also time --workers N with the planner code of checkout DIR")
    args = ap.parse_args(argv)

    print(f"cores: {os.cpu_count()}, load average before: {load()}")
    print(f"cores' worth of CPU free now (busy-loop probe, {args.workers} processes): "
          f"{free_cores(args.workers):.2f}")
    with tempfile.TemporaryDirectory(prefix="parallel-bench-") as tmp:
        folder = Path(tmp)
        base = write_scenario(folder, args.growth, args.gap)
        whatifs = write_whatifs(folder, args.variants)
        modes = [("serial", ROOT, 1), ("par", ROOT, args.workers)]
        if args.against:
            modes.append(("against", args.against.resolve(), args.workers))
        times: dict[str, list[float]] = {name: [] for name, _, _ in modes}
        same = True
        for k in range(args.repeat):
            for name, root, workers in modes[k % len(modes):] + modes[:k % len(modes)]:
                times[name].append(run_compare(base, whatifs, folder / f"{name}{k}", workers,
                                               root))
            for name, _, _ in modes[1:]:
                same = same and same_outputs(folder / f"serial{k}", folder / f"{name}{k}") \
                    and same_outputs(folder / f"{name}{k}", folder / f"serial{k}")
        serial_t, par_t = times["serial"], times["par"]
        table = (folder / "serial0" / "comparison.csv").read_text().splitlines()
    print(f"plans per run: {len(table) - 1} (base + {args.variants} what-ifs)")
    for line in table:
        cells = line.split(",")
        print(f"  {cells[0]:8} {cells[1]:10} {cells[2]:>22}")
    s, p = statistics.median(serial_t), statistics.median(par_t)
    print(f"serial (--workers 1) wall time: {s:7.2f} s  runs: "
          f"{', '.join(f'{x:.2f}' for x in serial_t)}")
    print(f"--workers {args.workers} wall time:         {p:7.2f} s  runs: "
          f"{', '.join(f'{x:.2f}' for x in par_t)}")
    print(f"speed-up: {s / p:.2f}x")
    if args.against:
        a = statistics.median(times["against"])
        print(f"--workers {args.workers}, {args.against}: {a:7.2f} s  runs: "
              f"{', '.join(f'{x:.2f}' for x in times['against'])}")
        print(f"speed-up of {args.against}: {s / a:.2f}x")
    print(f"outputs identical to serial: {'yes' if same else 'NO'}")
    print(f"load average after: {load()}; CPU free now: {free_cores(args.workers):.2f} cores")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
