"""`planner compare`, `planner sweep`, `planner new-hall`: many what-if plans, in parallel.

Thin wrappers: the overlays are `planner.whatif`, the runs `planner.parallel`, the tables
and pages `planner.whatif_report`.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from planner.cli import EXIT_ERROR, EXIT_INFEASIBLE, EXIT_INPUT, app, err_console, fail
from planner.errors import InputError, Issue
from planner.parallel import Job, JobResult, run_jobs
from planner.whatif import (
    MERGED_FILE,
    InputsCache,
    MergedScenario,
    merge_scenario,
    parse_path,
    parse_value,
    read_base,
    read_overlay,
)
from planner.whatif_report import (
    bar_chart,
    buys_differently,
    comparison_frame,
    html_page,
    line_chart,
    num,
    sweep_frame,
    usd,
    value_text,
)

console = Console(highlight=False, soft_wrap=True)

PLAN_FILES = ("purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv", "sites.csv",
              "summary.json")
MAX_POINTS = 10_000

# --------------------------------------------------------------------------- shared options

WhatIfOpt = Annotated[list[Path] | None, typer.Option(
    "--what-if", help="A what-if file (partial scenario) merged onto the base; repeatable.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="PATH=VALUE applied to every plan, e.g. sites.hall-b.power_mw=40 "
    "(VALUE is YAML); repeatable.")]
OutOpt = Annotated[Path | None, typer.Option("-o", "--out", help="Folder for the results.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-j", help="Plans at a time on this machine, in N worker processes "
    "(default: all cores; 1 = serially, in this process).",
    min=1)]
ChainOpt = Annotated[int, typer.Option(
    "--chain", help="Points per warm-started chain: each point of a chain starts from the "
    "previous point's plan when it is feasible (1 = every point from scratch).", min=1)]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Run on a Dask distributed cluster: the scheduler's address "
    "(tcp://host:8786). Needs Dask distributed: pip install 'planner\\[cluster]'.")]
ThreadsOpt = Annotated[int | None, typer.Option(
    "--threads", help="HiGHS threads per plan (default 1, so parallel plans do not "
    "oversubscribe the cores; 0 = HiGHS decides).", min=0)]
TimeLimitOpt = Annotated[float | None, typer.Option(
    "--time-limit", help="Seconds HiGHS may run per plan (overrides solver.time_limit_s).",
    min=0.001)]
GapOpt = Annotated[float | None, typer.Option(
    "--gap", help="Relative MIP gap per plan (overrides solver.mip_rel_gap).", min=0.0,
    max=1.0)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the table as JSON rows.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")]
TimingsOpt = Annotated[bool, typer.Option(
    "--timings", help="Add each plan's wall time (solve_seconds) to the table; the CSV is "
    "then no longer byte-identical between runs.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]


class Variant:
    """A named merged scenario, or the error that kept it from being built."""

    def __init__(self, name: str, merged: MergedScenario | None, error: str | None = None):
        self.name = name
        self.merged = merged
        self.error = error


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        clean = re.sub(r"[^A-Za-z0-9._=+-]", "_", n) or "variant"
        if clean in seen:
            seen[clean] += 1
            clean = f"{clean}-{seen[clean]}"
        else:
            seen[clean] = 1
        out.append(clean)
    return out


def _error_text(exc: InputError) -> str:
    return "; ".join(str(i) for i in exc.issues)


def _jobs(variants: Sequence[Variant], threads: int | None, time_limit: float | None,
          gap: float | None, keep_files: bool, chain: int = 1) -> list[Job]:
    """A job per variant. With `chain` > 1 the variants after the first (a sweep's
    points) go in chains of that many, each point starting from the previous one's plan
    (`planner.parallel.chains`)."""
    jobs = []
    cache = InputsCache()
    for k, v in enumerate(variants):
        extra: dict[str, str] = {}
        inputs = None
        error = v.error
        if v.merged is not None:
            extra[MERGED_FILE] = v.merged.to_yaml()
            try:
                inputs = v.merged.inputs(cache)
            except InputError as exc:
                error = _error_text(exc)
        warm = chain > 1 and k >= 1 and (k - 1) % chain != 0
        jobs.append(Job(v.name, inputs, error, threads, time_limit, gap, keep_files,
                        extra if keep_files else {}, warm_from_previous=warm))
    return jobs


def _run(jobs: list[Job], workers: int | None, scheduler: str | None, quiet: bool,
         debug: bool) -> list[JobResult]:
    show = not quiet and err_console.is_terminal
    t0 = time.perf_counter()
    done = [0]

    def on_done(i: int, res: JobResult) -> None:
        done[0] += 1
        if show:
            cost = usd(res.summary["total_cost_usd"]) if res.summary else ""
            err_console.print(f"[{done[0]}/{len(jobs)}] {res.name}: "
                              f"{_short_status(res.status)} {cost} "
                              f"({time.perf_counter() - t0:.1f} s)", markup=False,
                              style="dim")

    try:
        return run_jobs(jobs, workers=workers, scheduler=scheduler, on_done=on_done)
    except Exception as exc:  # noqa: BLE001 - cluster unreachable, etc.
        fail(exc, debug)


def _plan_set(results: Sequence[JobResult], prefix: str = "") -> tuple[dict[str, str],
                                                                        list[str]]:
    """Each result's files as `<prefix><name>/<file>`, and the stale files to remove with
    them: a failed plan leaves an `error.txt` and no plan files of an older run; a plan
    leaves no older `error.txt`. The caller writes them with its own tables as one set."""
    files: dict[str, str] = {}
    remove: list[str] = []
    for res in results:
        d = f"{prefix}{res.name}/"
        mine = dict(res.files)
        if not res.ok:
            remove += [d + name for name in (*PLAN_FILES, MERGED_FILE) if name not in mine]
            mine["error.txt"] = f"{res.status}\n\n{res.message}\n"
        else:
            remove.append(d + "error.txt")
        files.update({d + name: text for name, text in mine.items()})
    return files, remove


def _exit_code(results: Sequence[JobResult]) -> int:
    """0 if any plan was made; otherwise the code of the first failure."""
    if any(r.ok for r in results) or not results:
        return 0
    st = results[0].status
    if st.startswith("invalid"):
        return EXIT_INPUT
    if st == "infeasible":
        return EXIT_INFEASIBLE
    return EXIT_ERROR


def _frame_csv(df: pd.DataFrame) -> str:
    from planner.output import frame_to_csv

    return frame_to_csv(df)


def _print_json(df: pd.DataFrame) -> None:
    rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in r.items()} for r in df.to_dict(orient="records")]
    typer.echo(json.dumps(rows, indent=2, default=str))


def _failures(results: Sequence[JobResult]) -> None:
    bad = [r for r in results if not r.ok]
    if bad:
        console.print(f"[yellow]{len(bad)} of {len(results)} plans failed:[/]")
        for r in bad:
            console.print(f"  {r.name}: {r.message or r.status}", markup=False)


def _base_or_fail(base: Path, debug: bool, out: Path | None = None) -> dict[str, Any]:
    """The base scenario as a dict; also refuses an unusable -o before any work."""
    try:
        if out is not None:
            from planner.output import check_output_dir

            check_output_dir(out, [])
        return read_base(base)
    except InputError as exc:
        fail(exc, debug)


def _variant(name: str, base: Path, base_data: dict[str, Any], overlays: Sequence[Any],
             sets: Sequence[Any]) -> Variant:
    try:
        return Variant(name, merge_scenario(base, overlays, sets, base_data=base_data))
    except InputError as exc:
        return Variant(name, None, _error_text(exc))


# --------------------------------------------------------------------------- compare


@app.command("compare")
def compare_command(
    base: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
    what_if: WhatIfOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    threads: ThreadsOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    timings: TimingsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan the base and each what-if side by side: cost, cost per million tokens,
    tokens/s per MW, capex, MW used, unmet demand, and what each buys differently.

    With -o DIR: DIR/comparison.csv, DIR/comparison.html, and each plan in DIR/<variant>/
    (the base in DIR/base/, a what-if named after its file). A failed what-if is reported
    in its row; the exit code is 0 when any plan was made.
    """
    files = list(what_if or [])
    base_data = _base_or_fail(base, debug, out)
    names = _unique(["base", *[f.stem for f in files]])
    sets = list(set_ or [])
    try:
        for s in sets:  # a bad --set fails every variant alike: say so once
            merge_scenario(base, [], [s], base_data=base_data)
    except InputError as exc:
        fail(exc, debug)
    variants = [_variant(names[0], base, base_data, [], sets)]
    for name, f in zip(names[1:], files, strict=True):
        try:
            ov = read_overlay(f)
        except InputError as exc:
            variants.append(Variant(name, None, _error_text(exc)))
            continue
        variants.append(_variant(name, base, base_data, [ov], sets))
    jobs = _jobs(variants, threads, time_limit, gap, keep_files=out is not None)
    results = _run(jobs, workers, scheduler, quiet or as_json, debug)
    df = comparison_frame(results, timings=timings)
    if out is not None:
        try:
            from planner.output import write_files

            plan_set, stale = _plan_set(results)
            chart1 = bar_chart(list(df["variant"]), [
                ("capex", list(df["capex_usd"])), ("energy", list(df["energy_usd"])),
                ("opex", list(df["opex_usd"])), ("unmet penalty", list(df["unmet_penalty_usd"]))],
                "Total cost over the horizon", "USD")
            chart2 = bar_chart(list(df["variant"]), [("cost per Mtok",
                                                       list(df["cost_per_mtok_usd"]))],
                               "Cost per million tokens served", "USD per Mtok",
                               fmt=lambda v: f"${v:,.3g}")
            page = html_page(f"What-if comparison: {base.name}",
                             [f"base: {base}"] + [f"{n}: {f}" for n, f in zip(names[1:], files,
                                                                               strict=True)],
                             [chart1, chart2], df)
            write_files(out, {"comparison.csv": _frame_csv(df), "comparison.html": page,
                              **plan_set}, remove=stale)
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        _print_compare(df)
        _failures(results)
        if out is not None:
            console.print(f"comparison written to {out}/comparison.csv, "
                          f"{out}/comparison.html and a plan folder per variant")
    raise typer.Exit(_exit_code(results))


def _short_status(status: str) -> str:
    return status.split(":")[0]


def _print_compare(df: pd.DataFrame) -> None:
    t = Table(title="What-if comparison (cost over the horizon)")
    for col in ("variant", "status", "total", "vs base", "$/Mtok", "tok/s/MW", "capex cash",
                "peak MW", "unmet tok"):
        t.add_column(col, justify="left" if col in ("variant", "status") else "right")
    rows = df.to_dict(orient="records")
    for r in rows:
        cpm = r["cost_per_mtok_usd"]
        t.add_row(str(r["variant"]), _short_status(str(r["status"])),
                  usd(r["total_cost_usd"]),
                  usd(r["cost_vs_base_usd"]) if r["variant"] != rows[0]["variant"] else "",
                  "-" if cpm is None else f"${cpm:,.4f}", num(r["tokens_per_s_per_mw"]),
                  usd(r["capex_cash_usd"]), num(r["peak_mw"], 3), num(r["unmet_tokens"]))
    console.print(t)
    t2 = Table(title="Cost breakdown and what each buys differently from the base")
    for col in ("variant", "capex", "energy", "opex", "unmet pen.", "buys vs base"):
        t2.add_column(col, justify="left" if col in ("variant", "buys vs base") else "right")
    for r in rows:
        if r["total_cost_usd"] is None:
            continue
        t2.add_row(str(r["variant"]), usd(r["capex_usd"]), usd(r["energy_usd"]),
                   usd(r["opex_usd"]), usd(r["unmet_penalty_usd"]), str(r["buys_vs_base"]))
    console.print(t2)


# --------------------------------------------------------------------------- sweep


def parse_values(spec: str, where: str) -> list[Any]:
    """``START:STOP:STEP`` (inclusive; step defaults to 1) or ``v1,v2,v3`` (YAML values)."""
    source = "--vary"
    text = spec.strip()
    if not text:
        raise InputError([Issue(source, where, "no values")])
    parts = text.split(":")
    if len(parts) in (2, 3) and "," not in text:
        try:
            start, stop = Decimal(parts[0].strip()), Decimal(parts[1].strip())
            step = Decimal(parts[2].strip()) if len(parts) == 3 else Decimal(1)
        except InvalidOperation:
            raise InputError([Issue(source, where, f"{spec!r}: a range is START:STOP:STEP "
                                    "with numbers")]) from None
        if step <= 0:
            raise InputError([Issue(source, where, f"{spec!r}: STEP must be > 0")])
        if stop < start:
            raise InputError([Issue(source, where, f"{spec!r}: STOP is below START")])
        count = int((stop - start) / step) + 1
        if count > MAX_POINTS:
            raise InputError([Issue(source, where, f"{spec!r} makes {count} values "
                                    f"(limit {MAX_POINTS})")])
        integral = all(re.fullmatch(r"\s*[+-]?\d+\s*", p) for p in parts)
        vals: list[Any] = []
        for i in range(count):
            v = start + step * i
            vals.append(int(v) if integral else float(v))
        return vals
    return [parse_value(p, source, where) for p in text.split(",")]


def parse_vary(text: str) -> tuple[str, list[Any]]:
    if "=" not in text:
        raise InputError([Issue("--vary", text, "expected PATH=START:STOP:STEP or "
                                "PATH=v1,v2,...")])
    path, _, spec = text.partition("=")
    path = path.strip()
    parse_path(path, "--vary")
    return path, parse_values(spec, path)


def _x_title(path: str) -> str:
    return f"MW ({path})" if path.endswith("power_mw") else path


@app.command("sweep")
def sweep_command(
    base: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
    vary: Annotated[list[str], typer.Option(
        "--vary", help="PATH=START:STOP:STEP (inclusive) or PATH=v1,v2,v3; several make a "
        "grid.")],
    what_if: WhatIfOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    plans: Annotated[bool, typer.Option(
        "--plans", help="Also write each point's plan to DIR/points/<n>/.")] = False,
    chain: ChainOpt = 4,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    threads: ThreadsOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    timings: TimingsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan every point of a sweep (a grid with several --vary) and chart cost and cost
    per million tokens against the varied value; varying a hall's power_mw gives the curve
    of cost against MW.

    With -o DIR: DIR/sweep.csv (a column per varied path, then status, total_cost_usd,
    cost_per_mtok_usd, cost_vs_base_usd and more) and DIR/sweep.html.
    """
    try:
        axes = [parse_vary(v) for v in vary]
    except InputError as exc:
        fail(exc, debug)
    base_data = _base_or_fail(base, debug, out)
    try:
        if len({p for p, _ in axes}) != len(axes):
            raise InputError([Issue("--vary", "", "a path is varied twice")])
        overlays = [read_overlay(f) for f in what_if or []]
        sets = list(set_ or [])
        merge_scenario(base, overlays, sets, base_data=base_data)
    except InputError as exc:
        fail(exc, debug)
    paths = [p for p, _ in axes]
    points = list(itertools.product(*[vals for _, vals in axes]))
    if len(points) > MAX_POINTS:
        fail(InputError([Issue("--vary", "", f"the grid has {len(points)} points "
                               f"(limit {MAX_POINTS})")]), debug)
    width = len(str(len(points)))
    variants = [_variant("base", base, base_data, overlays, sets)]
    for i, pt in enumerate(points, start=1):
        variants.append(_variant(f"{i:0{width}d}", base, base_data, overlays,
                                 sets + list(zip(paths, pt, strict=True))))
    jobs = _jobs(variants, threads, time_limit, gap, keep_files=plans and out is not None,
                 chain=chain)
    results = _run(jobs, workers, scheduler, quiet or as_json, debug)
    base_res, point_res = results[0], results[1:]
    df = sweep_frame(paths, points, point_res, base_res, timings=timings)
    if out is not None:
        try:
            from planner.output import write_files

            plan_set, stale = _plan_set(results, "points/") if plans else ({}, [])
            page = html_page(f"Sweep: {base.name}", _sweep_lines(base, axes, base_res),
                             _sweep_charts(paths, points, point_res, base_res), df)
            write_files(out, {"sweep.csv": _frame_csv(df), "sweep.html": page, **plan_set},
                        remove=stale)
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        _print_sweep(df, paths, base_res)
        _failures(results)
        if out is not None:
            console.print(f"sweep written to {out}/sweep.csv and {out}/sweep.html")
    raise typer.Exit(_exit_code(point_res))


def _sweep_lines(base: Path, axes: Sequence[tuple[str, list[Any]]], base_res: JobResult
                 ) -> list[str]:
    lines = [f"base: {base} ({base_res.status}"
             + (f", total cost {usd(base_res.summary['total_cost_usd'])})"
                if base_res.summary else ")")]
    lines += [f"{p}: {', '.join(value_text(v) for v in vals)}" for p, vals in axes]
    return lines


def _sweep_charts(paths: Sequence[str], points: Sequence[Sequence[Any]],
                  results: Sequence[JobResult], base_res: JobResult) -> list[str]:
    xs: list[Any] = []
    for pt in points:
        if pt[0] not in xs:
            xs.append(pt[0])
    groups: dict[tuple[Any, ...], dict[Any, JobResult]] = {}
    for pt, res in zip(points, results, strict=True):
        groups.setdefault(tuple(pt[1:]), {})[pt[0]] = res

    def label(key: tuple[Any, ...]) -> str:
        if not key:
            return "total cost"
        return ", ".join(f"{p.split('.')[-1]}={value_text(v)}"
                         for p, v in zip(paths[1:], key, strict=True))

    def series(field: str) -> list[tuple[str, list[float | None]]]:
        out = []
        for key, by_x in groups.items():
            ys: list[float | None] = []
            for x in xs:
                r = by_x.get(x)
                ys.append(None if r is None or r.summary is None else r.summary.get(field))
            out.append((label(key) if field == "total_cost_usd" or key else "cost per Mtok",
                        ys))
        return out

    total = series("total_cost_usd")
    if base_res.summary is not None:
        total.append(("base", [base_res.summary["total_cost_usd"]] * len(xs)))
    return [
        line_chart(xs, total, f"Total cost against {paths[0]}", _x_title(paths[0]), "USD",
                   fmt=usd),
        line_chart(xs, series("cost_per_mtok_usd"), f"Cost per million tokens against "
                   f"{paths[0]}", _x_title(paths[0]), "USD per Mtok",
                   fmt=lambda v: f"${v:,.3g}"),
    ]


def _print_sweep(df: pd.DataFrame, paths: Sequence[str], base_res: JobResult) -> None:
    if base_res.summary is not None:
        console.print(f"base: {base_res.status}, total cost "
                      f"{usd(base_res.summary['total_cost_usd'])}")
    else:
        console.print(f"base: {base_res.status}")
    t = Table(title="Sweep")
    for p in paths:
        t.add_column(p)
    for col in ("status", "total", "vs base", "$/Mtok", "peak MW", "unmet tok",
                "buys vs base"):
        t.add_column(col, justify="left" if col in ("status", "buys vs base") else "right")
    for r in df.to_dict(orient="records"):
        cpm = r["cost_per_mtok_usd"]
        t.add_row(*[value_text(r[p]) for p in paths], str(r["status"]),
                  usd(r["total_cost_usd"]), usd(r["cost_vs_base_usd"]),
                  "-" if cpm is None else f"${cpm:,.4f}", num(r["peak_mw"], 3),
                  num(r["unmet_tokens"]), str(r["buys_vs_base"]))
    console.print(t)


# --------------------------------------------------------------------------- new hall

NEW_HALL_KEYS = ("pue", "electricity_usd_per_mwh", "cooling")


def new_hall_variants(base: Path, base_data: dict[str, Any], site: str, sizes: Sequence[Any],
                      opens: Sequence[Any], like: str | None, overlays: Sequence[Any],
                      sets: Sequence[Any]) -> tuple[MergedScenario, list[MergedScenario], str]:
    """The baseline (no new hall) and a scenario per (size, opening period).

    The new hall takes its other fields from the site of that name in the (merged) base,
    if there is one (which the baseline then drops), else pue, electricity price and
    cooling from the site `like` (default: the base's first site).
    """
    merged = merge_scenario(base, overlays, sets, base_data=base_data)
    doc = merged.data
    sites = doc.get("sites")
    if not isinstance(sites, list) or not sites:
        raise InputError([Issue(str(base), "sites", "the base has no sites")])
    names = [s.get("name") for s in sites if isinstance(s, dict)]
    if site in names:
        template = copy.deepcopy(sites[names.index(site)])
        if template.get("existing"):
            raise InputError([Issue(merged.label, f"sites.{site}.existing",
                                    "a new hall has no installed base; name a hall that is "
                                    "not built yet")])
        where = f"fields of sites.{site} in the base"
    else:
        src_name = like or names[0]
        if src_name not in names:
            raise InputError([Issue("--like", "", f"no site {src_name!r} in the base (have: "
                                    f"{', '.join(map(str, names))})")])
        src = sites[names.index(src_name)]
        template = {"name": site, **{k: src[k] for k in NEW_HALL_KEYS if k in src}}
        where = f"pue, electricity price and cooling of {src_name}"
    base_doc = copy.deepcopy(doc)
    base_doc["sites"] = [s for s in sites if not (isinstance(s, dict) and s.get("name") == site)]
    if not base_doc["sites"]:
        raise InputError([Issue(str(base), "sites", f"{site!r} is the only site; the baseline "
                                "without it would have no site")])
    baseline = MergedScenario(base_doc, merged.base_file, merged.base_dir,
                              (*merged.sources, f"without site {site}"))
    points = []
    for size in sizes:
        for op in opens:
            d = copy.deepcopy(base_doc)
            hall = copy.deepcopy(template)
            hall["power_mw"] = size
            hall["available_from"] = op
            d["sites"].append(hall)
            points.append(MergedScenario(d, merged.base_file, merged.base_dir, (
                *merged.sources, f"new hall {site}: power_mw={value_text(size)}, "
                f"available_from={value_text(op)}")))
    return baseline, points, where


def saturation(sizes: Sequence[float], savings: Sequence[float | None], tol: float
               ) -> tuple[float | None, bool]:
    """The smallest size past which more MW saves at most `tol` more, and whether even the
    largest size tried still saved more than `tol` over the one before it."""
    pts = [(s, v) for s, v in zip(sizes, savings, strict=True) if v is not None]
    if not pts:
        return None, False
    for i, (s, v) in enumerate(pts):
        if all(v2 - v <= tol for _, v2 in pts[i + 1:]):
            still = len(pts) > 1 and i == len(pts) - 1 and pts[-1][1] - pts[-2][1] > tol
            return s, still
    return pts[-1][0], True


@app.command("new-hall")
def new_hall_command(
    base: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
    site: Annotated[str, typer.Option("--site", help="Name of the new hall.")],
    sizes: Annotated[str, typer.Option(
        "--sizes", help="Hall sizes in MW: START:STOP:STEP or a list 10,20,40.")],
    opens: Annotated[str, typer.Option(
        "--open", help="Opening periods to try, a list: 2027Q3,2028Q1.")],
    like: Annotated[str | None, typer.Option(
        "--like", help="Existing site whose pue, electricity price and cooling the new hall "
        "gets (default: the first site), when the base does not define the hall.")] = None,
    tolerance: Annotated[float | None, typer.Option(
        "--tolerance-usd", help="Savings closer than this count as equal (default: the "
        "baseline's cost times its mip_rel_gap, at least $1).", min=0.0)] = None,
    what_if: WhatIfOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    chain: ChainOpt = 4,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    threads: ThreadsOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """How large should the new hall be and when should it open? Plans the base without
    the hall and with it at every size and opening period, and reports the cost saved
    and the size past which more MW saves nothing.

    With -o DIR: DIR/new_hall.csv (a row per size and opening) and DIR/new_hall.html.
    """
    try:
        size_vals = parse_values(sizes, "--sizes")
        open_vals = parse_values(opens, "--open")
    except InputError as exc:
        fail(exc, debug)
    base_data = _base_or_fail(base, debug, out)
    try:
        for v in size_vals:
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
                raise InputError([Issue("--sizes", "", f"{v!r} is not a size in MW (> 0)")])
        overlays = [read_overlay(f) for f in what_if or []]
        baseline, points, where = new_hall_variants(base, base_data, site, size_vals,
                                                    open_vals, like, overlays, list(set_ or []))
    except InputError as exc:
        fail(exc, debug)
    grid = [(s, o) for s in size_vals for o in open_vals]
    variants = [Variant("baseline", baseline)] + [
        Variant(f"{value_text(s)}MW@{value_text(o)}", m)
        for (s, o), m in zip(grid, points, strict=True)]
    jobs = _jobs(variants, threads, time_limit, gap, keep_files=False, chain=chain)
    results = _run(jobs, workers, scheduler, quiet or as_json, debug)
    base_res, pres = results[0], results[1:]
    base_cost = base_res.summary["total_cost_usd"] if base_res.summary else None
    if tolerance is None:
        rel = float(base_res.summary["solver_settings"].get("mip_rel_gap") or 0.0) \
            if base_res.summary else 0.0
        tolerance = max(1.0, rel * abs(base_cost or 0.0))
    rows = []
    by_open: dict[Any, list[tuple[float, float | None, JobResult]]] = {o: [] for o in open_vals}
    for (s, o), res in zip(grid, pres, strict=True):
        summ = res.summary
        saving = None if summ is None or base_cost is None else base_cost - summ[
            "total_cost_usd"]
        hall_peak = None
        if summ is not None:
            hall_peak = (summ.get("sites", {}).get(site) or {}).get("peak_power_mw")
        by_open[o].append((float(s), saving, res))
        rows.append({"size_mw": s, "open": o, "status": res.status,
                     "total_cost_usd": summ["total_cost_usd"] if summ else None,
                     "cost_per_mtok_usd": summ.get("cost_per_mtok_usd") if summ else None,
                     "saving_usd": saving, "hall_peak_mw": hall_peak,
                     "peak_mw": res.peak_mw,
                     "unmet_tokens": summ.get("unmet_tokens") if summ else None,
                     "capex_cash_usd": summ.get("capex_cash_usd") if summ else None,
                     "buys_vs_baseline": buys_differently(base_res, res)})
    df = pd.DataFrame(rows)
    df = df.astype(object).where(df.notna(), None)
    verdicts = _new_hall_verdicts(site, by_open, tolerance, base_res)
    if out is not None:
        try:
            from planner.output import write_files

            lines = [f"base: {base}; new hall {site!r} takes the {where}",
                     f"baseline (no {site}): {base_res.status}"
                     + (f", total cost {usd(base_cost)}" if base_cost is not None else ""),
                     f"savings within {usd(tolerance)} count as equal", *verdicts]
            chart = line_chart(size_vals, [(f"opens {value_text(o)}", [v for _, v, _ in by_open[o]])
                                           for o in open_vals],
                               f"Cost saved by {site} against the baseline", f"MW ({site})",
                               "USD saved", fmt=usd)
            peak = line_chart(size_vals, [(f"opens {value_text(o)}",
                                           [(r.summary or {}).get("sites", {}).get(site, {}).get(
                                               "peak_power_mw") for _, _, r in by_open[o]])
                                          for o in open_vals],
                              f"MW the plan uses in {site}", f"MW ({site})", "MW used (peak)",
                              fmt=lambda v: f"{v:,.4g}")
            write_files(out, {"new_hall.csv": _frame_csv(df),
                              "new_hall.html": html_page(f"New hall {site}: size and opening",
                                                         lines, [chart, peak], df)})
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        console.print(f"new hall {site!r} takes the {where}")
        console.print(f"baseline without {site}: {base_res.status}"
                      + (f", total cost {usd(base_cost)}" if base_cost is not None else ""))
        t = Table(title=f"Cost saved by {site} against the baseline (rows: MW, columns: "
                  "opening period)")
        t.add_column("MW", justify="right")
        for o in open_vals:
            t.add_column(value_text(o), justify="right")
        for i, s in enumerate(size_vals):
            cells = []
            for o in open_vals:
                _, sav, res = by_open[o][i]
                cells.append(usd(sav) if sav is not None else res.status)
            t.add_row(value_text(s), *cells)
        console.print(t)
        for v in verdicts:
            console.print(v)
        _failures(results)
        if out is not None:
            console.print(f"written to {out}/new_hall.csv and {out}/new_hall.html")
    raise typer.Exit(_exit_code(pres))


def _new_hall_verdicts(site: str, by_open: dict[Any, list[tuple[float, float | None,
                                                                JobResult]]],
                       tol: float, base_res: JobResult) -> list[str]:
    if base_res.summary is None:
        return [f"the baseline without {site} has no plan ({base_res.status}), so savings "
                "cannot be computed"]
    lines = []
    best: tuple[float, float, Any] | None = None
    for o, pts in by_open.items():
        sizes = [s for s, _, _ in pts]
        savs = [v for _, v, _ in pts]
        sat, still = saturation(sizes, savs, tol)
        if sat is None:
            lines.append(f"opening {value_text(o)}: no plan at any size")
            continue
        top = max(v for v in savs if v is not None)
        at = next(s for s, v in zip(sizes, savs, strict=True) if v is not None
                  and v >= top - tol)
        largest = [(s, r) for s, v, r in pts if r.summary is not None][-1]
        used = (largest[1].summary or {}).get("sites", {}).get(site, {}).get("peak_power_mw")
        msg = (f"opening {value_text(o)}: saves up to {usd(top)} (at {value_text(at)} MW); ")
        if still:
            msg += (f"more MW still saves more at the largest size tried "
                    f"({value_text(largest[0])} MW): try larger sizes")
        else:
            msg += f"past {value_text(sat)} MW more MW saves nothing"
        if used is not None:
            msg += f"; at {value_text(largest[0])} MW the plan uses {used:,.3f} MW of it"
        lines.append(msg)
        if best is None or top > best[0] + tol:
            best = (top, at, o)
    if best is not None:
        if best[0] <= tol:
            lines.append(f"{site} saves nothing at any size and opening tried")
        else:
            lines.append(f"best: {value_text(best[1])} MW opening {value_text(best[2])}, "
                         f"saving {usd(best[0])}")
    return lines
