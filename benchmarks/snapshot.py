"""Fingerprint every file the planner writes for a fixed set of scenarios.

    python benchmarks/snapshot.py -o before.json          # on one commit
    python benchmarks/snapshot.py -o after.json           # on another
    python benchmarks/snapshot.py --compare before.json after.json

Runs `planner plan` (with the report, its marginal values and baselines) on the shipped
examples and on a few generated scenarios, and a `planner sweep` and `planner new-hall`
on the quick-start scenario, each with one thread and a fixed seed, and records the
SHA-256 of every file written. The analyses run without a time budget (which re-solves
fit in one depends on the machine's speed). Timings are the only thing allowed to differ between two
runs of the same code, so they are masked before hashing: `solve_seconds` and the other
`*_seconds` / `*_s` fields of summary.json, and "solved in N s" in the reports; and the
checkout's own path (a page names the scenario's path) is masked, so two checkouts of the
same code compare equal. `new-hall` runs to a 1% gap with a time limit it never reaches,
so its answer does not depend on the machine's load. A restructuring that changes no
behaviour gives identical fingerprints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write  # noqa: E402

#: generated scenarios; the small ones without marginal values (their re-solves take
#: minutes without a time budget)
GENERATED = [("tiny", 1), ("tiny", 2), ("tiny", 4), ("small", 1), ("small", 3)]
TIMING_KEYS = re.compile(r'^(\s*"[a-z_]*(_seconds|_s)": )[-0-9.e+]+(,?)$', re.M)
TIMING_TEXT = re.compile(r"(solved in |in )[0-9.]+ s\b")
#: the solve time once in a report's subtitle, removed whole (reports no longer print it)
SOLVE_TIME = re.compile(r", solved in [0-9.]+ s\b")


def masked(name: str, data: bytes) -> bytes:
    """The file with run-to-run timings masked (everything else byte for byte)."""
    if not name.endswith((".json", ".md", ".html", ".csv")):
        return data
    text = data.decode("utf-8").replace(str(ROOT), "<repo>")  # a checkout's own path
    if name.endswith(".json"):
        text = TIMING_KEYS.sub(r"\1<t>\3", text)
    if name.endswith((".md", ".html")):
        text = TIMING_TEXT.sub(r"\1<t> s", SOLVE_TIME.sub("", text))
    if name in ("sweep.csv", "compare.csv", "new_hall.csv") or name.endswith("/summary.csv"):
        # per-row solve times of the what-if tables
        lines = text.splitlines(keepends=True)
        if lines:
            head = lines[0].rstrip("\n").split(",")
            drop = [i for i, h in enumerate(head) if h.endswith(("_seconds", "_s"))
                    or h == "seconds"]
            out = [lines[0]]
            for ln in lines[1:]:
                cells = ln.rstrip("\n").split(",")
                for i in drop:
                    if i < len(cells):
                        cells[i] = "<t>"
                out.append(",".join(cells) + "\n")
            text = "".join(out)
    return text.encode("utf-8")


def fingerprint(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            rel = p.relative_to(folder).as_posix()
            out[rel] = hashlib.sha256(masked(rel, p.read_bytes())).hexdigest()
    return out


def planner(*args: str) -> None:
    cmd = [sys.executable, "-m", "planner", *args]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr}")


def run_all(work: Path) -> dict[str, dict[str, str]]:
    cases: dict[str, Path] = {
        "quickstart": ROOT / "examples" / "quickstart" / "scenario.yaml",
        "new-hall": ROOT / "examples" / "new-hall" / "scenario.yaml",
    }
    for size, seed in GENERATED:
        cases[f"{size}-{seed}"] = write(size, seed, work / "scenarios" / f"{size}-{seed}")
    result: dict[str, dict[str, str]] = {}
    for name, sc in cases.items():
        out = work / "out" / name
        # no analysis time budget: which re-solves fit in one depends on the machine
        extra = ["--no-marginals"] if name.startswith("small") else []
        planner("plan", str(sc), "-o", str(out), "--threads", "1", "-q",
                "--analysis-time", "1e6", *extra)
        result[f"plan {name}"] = fingerprint(out)
    qs = cases["quickstart"]
    out = work / "out" / "sweep"
    planner("sweep", str(qs), "--vary", "sites.hall-a.power_mw=10:20:5", "-o", str(out),
            "-j", "1", "-q")
    result["sweep quickstart power"] = fingerprint(out)
    out = work / "out" / "new-hall"
    planner("new-hall", str(qs), "--site", "hall-n", "--sizes", "5,10", "--open",
            "2027Q3", "-o", str(out), "-j", "1", "-q", "--gap", "0.01", "--time-limit", "600")
    result["new-hall quickstart"] = fingerprint(out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", type=Path, help="write the fingerprints to this JSON")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    a = ap.parse_args(argv)
    if a.compare:
        before, after = (json.loads(p.read_text()) for p in a.compare)
        diffs = []
        for case in sorted(set(before) | set(after)):
            b, c = before.get(case, {}), after.get(case, {})
            for f in sorted(set(b) | set(c)):
                if b.get(f) != c.get(f):
                    diffs.append(f"{case}: {f}: "
                                 + ("missing after" if f not in c else
                                    "new" if f not in b else "differs"))
        n = sum(len(v) for v in after.values())
        print("\n".join(diffs) if diffs else f"identical: {n} files in {len(after)} runs")
        return 1 if diffs else 0
    with tempfile.TemporaryDirectory() as tmp:
        result = run_all(Path(tmp))
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if a.out:
        a.out.write_text(text)
    n = sum(len(v) for v in result.values())
    print(f"{n} files in {len(result)} runs" + (f" -> {a.out}" if a.out else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
