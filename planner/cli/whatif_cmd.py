"""`planner compare`, `planner sweep`, `planner new-hall`: many what-if plans, in parallel.

Thin wrappers: the overlays are `planner.whatif.overlays`, the runs `planner.whatif.runner`,
the tables and pages `planner.report.whatif`.
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
from planner.fmt import num_fixed, pct_down, sig, usd_fixed, usd_short, usd_sig, usd_signed
from planner.io.output import check_output_dir, frame_to_csv, write_files
from planner.report.whatif import (
    SAME,
    bar_chart,
    compare_headlines,
    comparison_frame,
    diff_text,
    html_page,
    line_chart,
    new_hall_frame,
    new_hall_verdicts,
    plan_headline,
    share_text,
    sweep_frame,
    value_text,
)
from planner.whatif.overlays import (
    MERGED_FILE,
    InputsCache,
    MergedScenario,
    merge_scenario,
    parse_path,
    parse_value,
    read_base,
    read_overlay,
)
from planner.whatif.runner import Job, JobResult, run_jobs

console = Console(highlight=False, soft_wrap=True)

PLAN_FILES = ("purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv", "sites.csv",
              "summary.json", "retirements.csv", "cashflow.csv", "plan.xlsx")
MAX_POINTS = 10_000
# the two rules of every what-if table, said once on each page (planner.report.whatif)
_NOISE_NOTE = ("spend: what money changes hands; penalty: demand not served, at the "
               "price the scenario sets per million tokens (not money); total = spend + "
               "penalty. Differences within the plans' solver gap read as \"same\".")

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
    (`planner.whatif.runner.chains`)."""
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
            cost = (f"spend {usd_short(res.summary.spend_usd)}, serves "
                    f"{share_text(res.summary.demand_served_share)}"
                    if res.summary else "")
            err_console.print(f"[{done[0]}/{len(jobs)}] {res.name}: "
                              f"{_short_status(res.status)} {cost} "
                              f"({time.perf_counter() - t0:.1f} s)", markup=False,
                              style="dim")

    try:
        return run_jobs(jobs, workers=workers, scheduler=scheduler, on_done=on_done)
    except Exception as exc:  # noqa: BLE001 - cluster unreachable, etc.
        fail(exc, debug)


def _plan_set(results: Sequence[JobResult], prefix: str = ""
              ) -> tuple[dict[str, str | bytes], list[str]]:
    """Each result's files as `<prefix><name>/<file>`, and the stale files to remove with
    them: a failed plan leaves an `error.txt` and no plan files of an older run; a plan
    leaves no older `error.txt`. The caller writes them with its own tables as one set."""
    files: dict[str, str | bytes] = {}
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
            check_output_dir(out, [])
        return read_base(base)
    except InputError as exc:
        fail(exc, debug)


def _penalty_price(merged: MergedScenario | None) -> float | None:
    """The scenario's unmet-demand price, USD per million tokens (None if it is invalid)."""
    if merged is None:
        return None
    try:
        return float(merged.scenario().options.unmet_penalty_usd_per_mtok)
    except InputError:
        return None


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
    headlines = compare_headlines(results, {v.name: _penalty_price(v.merged)
                                            for v in variants})
    if out is not None:
        try:
            plan_set, stale = _plan_set(results)
            chart1 = bar_chart(list(df["variant"]), [
                ("capex", list(df["capex_usd"])), ("energy", list(df["energy_usd"])),
                ("opex", list(df["opex_usd"]))],
                "Spend over the horizon (the unmet penalty, a price, is not in it)", "USD")
            chart2 = bar_chart(list(df["variant"]), [("cost per Mtok",
                                                       list(df["cost_per_mtok_usd"]))],
                               "Cost per million tokens served", "USD per Mtok",
                               fmt=lambda v: usd_sig(v, 3))
            chart3 = bar_chart(list(df["variant"]), [("served",
                                                       list(df["demand_served_share"]))],
                               "Share of demand served", "share of demand",
                               fmt=lambda v: f"{v:.0%}")
            page = html_page(f"What-if comparison: {base.name}",
                             [f"base: {base}"] + [f"{n}: {f}" for n, f in zip(names[1:], files,
                                                                               strict=True)]
                             + headlines + [_NOISE_NOTE],
                             [chart1, chart2, chart3], df)
            write_files(out, {"comparison.csv": _frame_csv(df), "comparison.html": page,
                              **plan_set}, remove=stale)
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        _print_compare(df)
        for line in headlines:
            console.print(line, markup=False)
        _failures(results)
        if out is not None:
            console.print(f"comparison written to {out}/comparison.csv, "
                          f"{out}/comparison.html and a plan folder per variant")
    raise typer.Exit(_exit_code(results))


def _short_status(status: str) -> str:
    return status.split(":")[0]


def _tok_diff(v: float | None) -> str:
    return diff_text(v, lambda x: ("+" if x > 0 else "") + num_fixed(x))


def _served(r: dict[str, Any]) -> str:
    share = r.get("demand_served_share")
    return "-" if share is None else pct_down(share)


def _print_compare(df: pd.DataFrame) -> None:
    t = Table(title="What-if comparison over the horizon: spend (money) first; penalty = "
              "unserved demand at the price you set, not money")
    for col in ("variant", "status", "spend", "spend vs base", "served", "tokens vs base",
                "penalty", "total", "total vs base", "$/Mtok", "tok/s/MW", "peak MW"):
        t.add_column(col, justify="left" if col in ("variant", "status") else "right")
    rows = df.to_dict(orient="records")
    for r in rows:
        cpm = r["cost_per_mtok_usd"]
        is_base = r["variant"] == rows[0]["variant"]
        t.add_row(str(r["variant"]), _short_status(str(r["status"])),
                  usd_short(r["spend_usd"]), "" if is_base else diff_text(r["spend_vs_base_usd"]),
                  _served(r), "" if is_base else _tok_diff(r["tokens_served_vs_base"]),
                  usd_short(r["unmet_penalty_usd"]), usd_short(r["total_cost_usd"]),
                  "" if is_base else diff_text(r["cost_vs_base_usd"]),
                  usd_fixed(cpm, 4), num_fixed(r["tokens_per_s_per_mw"]),
                  num_fixed(r["peak_mw"], 3))
    console.print(t)
    t2 = Table(title="Spend breakdown and what each buys differently from the base")
    for col in ("variant", "capex", "energy", "opex", "capex cash", "buys vs base"):
        t2.add_column(col, justify="left" if col in ("variant", "buys vs base") else "right")
    for r in rows:
        if r["total_cost_usd"] is None:
            continue
        t2.add_row(str(r["variant"]), usd_short(r["capex_usd"]), usd_short(r["energy_usd"]),
                   usd_short(r["opex_usd"]), usd_short(r["capex_cash_usd"]), str(r["buys_vs_base"]))
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
    price = _penalty_price(variants[0].merged)
    if out is not None:
        try:
            plan_set, stale = _plan_set(results, "points/") if plans else ({}, [])
            page = html_page(f"Sweep: {base.name}", _sweep_lines(base, axes, base_res, price),
                             _sweep_charts(paths, points, point_res, base_res), df)
            write_files(out, {"sweep.csv": _frame_csv(df), "sweep.html": page, **plan_set},
                        remove=stale)
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        _print_sweep(df, paths, base_res, price)
        _failures(results)
        if out is not None:
            console.print(f"sweep written to {out}/sweep.csv and {out}/sweep.html")
    raise typer.Exit(_exit_code(point_res))


def _base_line(base_res: JobResult, price: float | None) -> str:
    if base_res.summary is None:
        return f"base: {base_res.status}"
    return f"base: {base_res.status}, {plan_headline(base_res.summary, price)}"


def _sweep_lines(base: Path, axes: Sequence[tuple[str, list[Any]]], base_res: JobResult,
                 price: float | None = None) -> list[str]:
    lines = [f"{base}: {_base_line(base_res, price)}"]
    lines += [f"{p}: {', '.join(value_text(v) for v in vals)}" for p, vals in axes]
    lines.append(_NOISE_NOTE + " vs_previous: against the point before along the last "
                 "varied path.")
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

    def series(field: str, name: str) -> list[tuple[str, list[float | None]]]:
        out = []
        for key, by_x in groups.items():
            ys: list[float | None] = []
            for x in xs:
                r = by_x.get(x)
                ys.append(None if r is None or r.summary is None else getattr(r.summary, field))
            out.append((f"{name}, {label(key)}" if key else name, ys))
        return out

    def label(key: tuple[Any, ...]) -> str:
        return ", ".join(f"{p.split('.')[-1]}={value_text(v)}"
                         for p, v in zip(paths[1:], key, strict=True))

    spend = series("spend_usd", "spend")
    if any(r.summary is not None and r.summary.unmet_penalty_usd for r in results):
        spend += series("total_cost_usd", "spend + penalty")
    if base_res.summary is not None:
        spend.append(("base spend", [base_res.summary.spend_usd] * len(xs)))
    return [
        line_chart(xs, spend, f"Spend against {paths[0]} (penalty: a price, not money)",
                   _x_title(paths[0]), "USD", fmt=usd_short),
        line_chart(xs, series("cost_per_mtok_usd", "cost per Mtok"), "Cost per million "
                   f"tokens against "
                   f"{paths[0]}", _x_title(paths[0]), "USD per Mtok",
                   fmt=lambda v: usd_sig(v, 3)),
    ]


def _print_sweep(df: pd.DataFrame, paths: Sequence[str], base_res: JobResult,
                 price: float | None = None) -> None:
    console.print(_base_line(base_res, price), markup=False)
    t = Table(title="Sweep: spend (money) first; penalty = unserved demand at the price you "
              "set, not money; \"same\" = within the plans' solver gap")
    for p in paths:
        t.add_column(p)
    for col in ("status", "spend", "spend vs base", "served", "penalty", "total",
                "total vs base", "total vs prev.", "$/Mtok", "peak MW", "buys vs base"):
        t.add_column(col, justify="left" if col in ("status", "buys vs base") else "right")
    for r in df.to_dict(orient="records"):
        cpm = r["cost_per_mtok_usd"]
        t.add_row(*[value_text(r[p]) for p in paths], str(r["status"]),
                  usd_short(r["spend_usd"]), diff_text(r["spend_vs_base_usd"]), _served(r),
                  usd_short(r["unmet_penalty_usd"]), usd_short(r["total_cost_usd"]),
                  diff_text(r["cost_vs_base_usd"]),
                  "" if r["vs_previous"] is None else diff_text(r["cost_vs_previous_usd"]),
                  usd_fixed(cpm, 4), num_fixed(r["peak_mw"], 3),
                  str(r["buys_vs_base"]))
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
        "--tolerance-usd", help="Savings closer than this count as equal, on top of the "
        "solver noise (two plans whose costs differ by no more than their proven MIP gaps "
        "always count as equal; default: solver noise only).", min=0.0)] = None,
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
    the hall and with it at every size and opening period, and reports what the hall
    changes (tokens served and spend; the unmet penalty avoided, a price, apart) and the
    size past which more MW saves nothing beyond solver noise.

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
    floor = float(tolerance or 0.0)
    price = _penalty_price(baseline)
    df = new_hall_frame(site, grid, pres, base_res, floor)
    by_open: dict[Any, list[tuple[float, JobResult]]] = {o: [] for o in open_vals}
    for (s, o), res in zip(grid, pres, strict=True):
        by_open[o].append((float(s), res))
    verdicts = new_hall_verdicts(site, by_open, base_res, floor, price)
    noise = ("savings within solver noise (the two plans' proven MIP gaps)"
             + (f" or within {usd_short(floor)} (--tolerance-usd)" if floor > 0 else "")
             + " count as equal")
    if out is not None:
        try:
            lines = [f"base: {base}; new hall {site!r} takes the {where}",
                     f"baseline (no {site}): " + _base_line(base_res, price)[len("base: "):],
                     noise, _NOISE_NOTE, *verdicts]
            write_files(out, {"new_hall.csv": _frame_csv(df),
                              "new_hall.html": html_page(f"New hall {site}: size and opening",
                                                         lines, _new_hall_charts(
                                                             site, size_vals, open_vals, df),
                                                         df)})
        except Exception as exc:  # noqa: BLE001 - an unwritable folder is a clean error
            fail(exc, debug)
    if as_json:
        _print_json(df)
    elif not quiet:
        console.print(f"new hall {site!r} takes the {where}", markup=False)
        console.print(f"baseline without {site}: "
                      + _base_line(base_res, price)[len("base: "):], markup=False)
        t = Table(title=f"What {site} changes against the baseline: spend (money), tokens "
                  "served more, MW of the hall used (rows: MW, columns: opening period; "
                  "\"same\" = within solver gap)")
        t.add_column("MW", justify="right")
        for o in open_vals:
            t.add_column(value_text(o), justify="right")
        rows = df.to_dict(orient="records")
        for i, s in enumerate(size_vals):
            cells = [_new_hall_cell(rows[i * len(open_vals) + j],
                                    size_vals[i - 1] if i else None)
                     for j in range(len(open_vals))]
            t.add_row(value_text(s), *cells)
        console.print(t)
        console.print(noise, markup=False)
        for v in verdicts:
            console.print(v, markup=False)
        _failures(results)
        if out is not None:
            console.print(f"written to {out}/new_hall.csv and {out}/new_hall.html")
    raise typer.Exit(_exit_code(pres))


def _new_hall_cell(r: dict[str, Any], smaller: Any = None) -> str:
    """``spend +$120.00M; +3.10T tok; uses 11.500 MW``, ``same as 10 MW; uses 11.500 MW``
    when nothing differs from the next smaller size beyond solver noise, or the status of
    a failed plan."""
    if r["total_cost_usd"] is None:
        return _short_status(str(r["status"]))
    d = r["spend_saving_usd"]
    spend = "-" if d is None else ("spend same" if d == 0 else f"spend {usd_signed(-d)}")
    tok = r["extra_tokens_served"]
    parts = [spend]
    if r.get("vs_smaller_size") == SAME and smaller is not None:
        parts = [f"same as {value_text(smaller)} MW"]
    elif tok:
        parts.append(f"{'+' if tok > 0 else ''}{num_fixed(tok)} tok")
    used = r["hall_peak_mw"]
    if used is not None:
        parts.append(f"uses {used:,.3f} MW")
    return "; ".join(parts)


def _new_hall_charts(site: str, sizes: Sequence[Any], opens: Sequence[Any],
                     df: pd.DataFrame) -> list[str]:
    """Spend saved, tokens served more, and MW used, against size (a line per opening)."""
    rows = df.to_dict(orient="records")

    def series(col: str) -> list[tuple[str, list[float | None]]]:
        return [(f"opens {value_text(o)}", [rows[i * len(opens) + j][col]
                                           for i in range(len(sizes))])
                for j, o in enumerate(opens)]

    return [
        line_chart(sizes, series("spend_saving_usd"),
                   f"Spend saved by {site} against the baseline (negative: spends more)",
                   f"MW ({site})", "USD of spend saved", fmt=usd_short),
        line_chart(sizes, series("extra_tokens_served"),
                   f"Tokens served more with {site} than without", f"MW ({site})",
                   "tokens over the horizon"),
        line_chart(sizes, series("hall_peak_mw"), f"MW the plan uses in {site}",
                   f"MW ({site})", "MW used (peak)", fmt=lambda v: sig(v, 4)),
    ]
