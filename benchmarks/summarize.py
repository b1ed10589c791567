"""The summary table of `benchmarks/run.py` over the runs of several result files.

`run.py` prints one line per run as it goes and writes `runs.csv` at the end; a table
over runs made in several invocations (two runs side by side on the 2 cores, or a run
stopped part way, whose printed lines are kept) is the union of their rows. This reads
`runs.csv` files and printed run lines (markdown, as `run.py` prints them), keeps the
families asked for, and prints `run.summarize` over them, with the per-run table.

    python benchmarks/summarize.py results/s8-families-medium/c/runs.csv \\
        results/s8-families-medium-9a2d6f4/a-partial.md --families generate,budget
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import FIELDS, TH_NAMES, markdown, summarize  # noqa: E402

NUMERIC = {"seed", "columns", "rows", "nonzeros", "integers", "pre_solver_s", "final_gap",
           "wall_s", "peak_mb", *TH_NAMES}


def _value(col: str, raw: str) -> Any:
    raw = raw.strip()
    if raw in ("", "-"):
        return None
    if col in NUMERIC:
        v = float(raw)
        return int(v) if col == "seed" else v
    return raw


def read_runs(path: Path) -> list[dict[str, Any]]:
    """The run rows of a `runs.csv`, or of the markdown run lines `run.py` printed."""
    text = path.read_text()
    if path.suffix == ".csv":
        return [{k: _value(k, v or "") for k, v in r.items()}
                for r in csv.DictReader(text.splitlines())]
    rows, head = [], None
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "family":
            head = cells
            continue
        if head is None or len(cells) != len(head) or "peer" not in head:
            continue
        rows.append({c: _value(c, v) for c, v in zip(head, cells, strict=True)})
    return [r for r in rows if r.get("size") is not None and r.get("peer")]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--families", default="", help="comma list (default: every one)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args(argv)
    keep = {f for f in a.families.split(",") if f}
    rows: list[dict[str, Any]] = []
    for f in a.files:
        rows += [r for r in read_runs(f) if not keep or r.get("family") in keep]
    seen: set[tuple[Any, ...]] = set()
    for r in rows:
        key = (r.get("family"), r["size"], r["seed"], r["peer"])
        if key in seen:
            raise SystemExit(f"run {key} appears twice: give each run once")
        seen.add(key)
    cols = [c for c in ("family", "size", "seed", "peer", "status", *TH_NAMES, "final_gap",
                        "wall_s", "peak_mb") if c in FIELDS or c == "family"]
    print(markdown(rows, cols))
    print()
    out = summarize(rows, a.time_limit)
    print(markdown(out, ["family", "size", "peer", "runs", "gm_t_5pct_s", "t_5pct_s_missed",
                         "ratio_t_5pct_s", "gm_t_1pct_s", "t_1pct_s_missed",
                         "ratio_t_1pct_s", "gm_t_01pct_s", "t_01pct_s_missed",
                         "ratio_t_01pct_s", "slower_than_plain"]))


if __name__ == "__main__":
    main()
