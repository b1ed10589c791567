"""`planner compare`, `planner sweep`, `planner new-hall`, `planner sensitivity`: many
what-if plans, in parallel.

Thin: each command parses its options and calls one function of `planner.workflow.whatif`
(which plans the variants and writes the table, the page and any plan folders); what it
returns is printed by `planner.cli.whatif_view`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.cli.base import app, err_console, fail
from planner.cli.progress import PlanCounter
from planner.cli.whatif_view import (
    exit_code,
    print_comparison,
    print_decision,
    print_json,
    print_new_hall,
    print_sensitivity,
    print_sweep,
)
from planner.errors import InputError, Issue
from planner.whatif.hallbuild import decision_frame
from planner.whatif.sensitivity import DEFAULT_TAGS
from planner.whatif.variants import RunSettings
from planner.workflow.whatif import compare, new_hall, new_hall_decision, sensitivity, sweep

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
ReportsOpt = Annotated[bool, typer.Option(
    "--reports", help="With -o: a full plan report per plan (report.html and the files "
    "`planner plan` writes, its analyses included), linked from the page.")]


def _progress(quiet: bool, command: str) -> PlanCounter:
    """A line per finished plan on stderr unless quiet; plain log lines (and one per
    stage) when stderr is no terminal."""
    return PlanCounter(not quiet, log=not err_console.is_terminal, command=command)


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
    reports: ReportsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan the base and each what-if side by side: cost, cost per million tokens,
    tokens/s per MW, capex, MW used, unmet demand, and what each buys differently.

    With -o DIR: DIR/comparison.csv, DIR/comparison.html, and each plan in DIR/<variant>/
    (the base in DIR/base/, a what-if named after its file). A failed what-if is reported
    in its row; the exit code is 0 when any plan was made.
    """
    counter = _progress(quiet or as_json, "compare")
    try:
        cmp = compare(base, what_if or [], set_ or [], out,
                      RunSettings(workers, scheduler, threads, time_limit, gap),
                      timings=timings, progress=counter,
                      reports=reports)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        fail(exc, debug)
    counter.finish(out)
    if as_json:
        print_json(cmp.table)
    elif not quiet:
        print_comparison(cmp, out)
    raise typer.Exit(exit_code(cmp.results))


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
    reports: ReportsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Plan every point of a sweep (a grid with several --vary) and chart cost and cost
    per million tokens against the varied value; varying a hall's power_mw gives the curve
    of cost against MW.

    With -o DIR: DIR/sweep.csv (a column per varied path, then status, total_cost_usd,
    cost_per_mtok_usd, cost_vs_base_usd and more) and DIR/sweep.html.
    """
    counter = _progress(quiet or as_json, "sweep")
    try:
        sw = sweep(base, vary, what_if or [], set_ or [], out,
                   RunSettings(workers, scheduler, threads, time_limit, gap), plans=plans,
                   chain=chain, timings=timings, progress=counter,
                   reports=reports)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        fail(exc, debug)
    counter.finish(out)
    if as_json:
        print_json(sw.table)
    elif not quiet:
        print_sweep(sw, out)
    raise typer.Exit(exit_code(sw.results))


# Over 80 lines for a reason: one Typer option per field of the new hall and its build
# (the body is one library call and its printing).
@app.command("new-hall")
def new_hall_command(  # noqa: PLR0913 - one option per field of the hall and its build
    base: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
    site: Annotated[str, typer.Option("--site", help="Name of the new hall.")],
    max_mw: Annotated[float | None, typer.Option(
        "--max-mw", help="Most MW the hall may be built to (build.max_mw).")] = None,
    block_mw: Annotated[float | None, typer.Option(
        "--block-mw", help="MW per block (phase) built (build.block_mw).")] = None,
    capex_per_mw: Annotated[float | None, typer.Option(
        "--capex-per-mw", help="Building, electrical and cooling plant per MW, USD "
        "(build.capex_usd_per_mw).")] = None,
    opex_per_mw_year: Annotated[float | None, typer.Option(
        "--opex-per-mw-year", help="Fixed yearly cost per MW built, USD.")] = None,
    lifetime_years: Annotated[float | None, typer.Option(
        "--lifetime-years", help="Depreciation life of what is built (default 15).")] = None,
    lead_time: Annotated[int | None, typer.Option(
        "--lead-time", help="Periods before the first block can be energised.")] = None,
    available_from: Annotated[str | None, typer.Option(
        "--from", help="First period the hall can hold equipment (available_from).")] = None,
    pue: Annotated[float | None, typer.Option("--pue", help="The hall's PUE.")] = None,
    electricity: Annotated[float | None, typer.Option(
        "--electricity-usd-per-mwh", help="The hall's electricity price.")] = None,
    cooling: Annotated[str | None, typer.Option(
        "--cooling", help="air or liquid.")] = None,
    no_search: Annotated[bool, typer.Option(
        "--no-search", help="Skip the re-solves that find the cost per MW at which the "
        "answer changes.")] = False,
    sensitivity: Annotated[bool, typer.Option(
        "--sensitivity", help="Instead: the table of sizes x opening periods (--sizes, "
        "--open), one plan each. (`planner sensitivity` is another question: which "
        "catalogue estimates the purchases hinge on.)")] = False,
    sizes: Annotated[str | None, typer.Option(
        "--sizes", help="With --sensitivity: hall sizes in MW, START:STOP:STEP or "
        "10,20,40.")] = None,
    opens: Annotated[str | None, typer.Option(
        "--open", help="With --sensitivity: opening periods, a list 2027Q3,2028Q1.")] = None,
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
    reports: ReportsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """How many MW should the new hall get, and from when? One optimisation in which the
    hall is a build decision (blocks of --block-mw up to --max-mw at --capex-per-mw): the
    answer is "build N MW at SITE from PERIOD" or "build nothing", with the cost per MW at
    which it would change (a short bisection of re-solves).

    With -o DIR: DIR/new_hall.txt, DIR/new_hall_probes.csv and the plan in DIR/plan/.
    With --sensitivity (or --sizes and --open): plans the base without the hall and with
    it at every size and opening period, and writes DIR/new_hall.csv and
    DIR/new_hall.html.
    """
    settings = RunSettings(workers, scheduler, threads, time_limit, gap)
    # --sizes and --open (the command's old form) ask for the table
    sensitivity = sensitivity or (sizes is not None and opens is not None)
    if not sensitivity:
        build = {"block_mw": block_mw, "max_mw": max_mw, "capex_usd_per_mw": capex_per_mw,
                 "opex_usd_per_mw_year": opex_per_mw_year, "lifetime_years": lifetime_years,
                 "lead_time_periods": lead_time}
        hall = {"available_from": available_from, "pue": pue,
                "electricity_usd_per_mwh": electricity, "cooling": cooling}
        counter = _progress(quiet or as_json, "new-hall")
        try:
            d = new_hall_decision(base, site, build, out, settings, hall=hall, like=like,
                                  what_ifs=what_if or [], sets=set_ or [],
                                  search=not no_search, progress=counter,
                                  reports=reports)
        except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
            fail(exc, debug)
        counter.finish(out)
        if as_json:
            print_json(decision_frame(d))
        elif not quiet:
            print_decision(d, out)
        raise typer.Exit(exit_code([d.result]))
    if sizes is None or opens is None:
        fail(InputError([Issue("new-hall", "--sensitivity",
                               "needs --sizes and --open")]), debug)
    counter = _progress(quiet or as_json, "new-hall")
    try:
        nh = new_hall(base, site, sizes, opens, out,
                      settings, like=like,
                      tolerance_usd=tolerance, what_ifs=what_if or [], sets=set_ or [],
                      chain=chain, progress=counter, reports=reports)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        fail(exc, debug)
    counter.finish(out)
    if as_json:
        print_json(nh.table)
    elif not quiet:
        print_new_hall(nh, out)
    raise typer.Exit(exit_code(nh.results))


@app.command("sensitivity")
def sensitivity_command(
    base: Annotated[Path, typer.Argument(help="Base scenario YAML.")],
    out: OutOpt = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="Only this figure, whatever its tag: SYSTEM.FIELD (FIELD one of "
        "capex_usd, unit_power_kw, opex_usd_per_year, lifetime_years), "
        "SYSTEM.throughput.MODEL (the whole curve, scaled), or SYSTEM (all of them); "
        "repeatable.")] = None,
    range_pct: Annotated[float, typer.Option(
        "--range", help="Largest change searched, percent, each way (down at most 95).")
    ] = 50.0,
    candidates: Annotated[int, typer.Option(
        "--candidates", help="Nearly bought systems searched besides the bought ones: the "
        "unbought systems closest to the plan's cost per token.")] = 2,
    tags: Annotated[str, typer.Option(
        "--tags", help="Provenance tags searched, comma-separated (published, derived, "
        "estimate); a figure without a tag counts as an estimate.")] = ",".join(DEFAULT_TAGS),
    what_if: WhatIfOpt = None,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    threads: ThreadsOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Which estimates matter: for each estimated figure of the systems the plan buys or
    nearly buys (capex, unit power, opex, life, throughput curves), the change (%) at
    which the purchase decision flips, and what being 20% wrong costs: the re-optimised
    plan, and the regret of the base plan's purchases held.

    With -o DIR: DIR/sensitivity.csv (a row per figure) and DIR/sensitivity.html (tornado
    charts and the table). Not to be confused with `planner new-hall --sensitivity`, the
    table of a new hall's sizes x opening periods: this one varies catalogue and
    throughput figures, not a hall.
    """
    counter = _progress(quiet or as_json, "sensitivity")
    try:
        sens = sensitivity(base, out, RunSettings(workers, scheduler, threads, time_limit, gap),
                           params=param or [], range_pct=range_pct, candidates=candidates,
                           tags=[t.strip() for t in tags.split(",") if t.strip()],
                           what_ifs=what_if or [], sets=set_ or [],
                           progress=counter)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        fail(exc, debug)
    counter.finish(out)
    if as_json:
        print_json(sens.table)
    elif not quiet:
        print_sensitivity(sens, out)
    raise typer.Exit(exit_code([sens.base]))
