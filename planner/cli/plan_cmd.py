"""`planner plan SCENARIO -o DIR`: plan a scenario and write the plan files.

Thin: the command calls `planner.workflow.plan.plan_to_folder` and prints the plan.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.analysis.verdicts import plan_standing
from planner.cli.base import app, err_console, fail
from planner.cli.progress import LiveLine
from planner.core.size import MAX_COLUMNS
from planner.core.summary import PlanSummary
from planner.fmt import num, pct, usd, usd_fixed
from planner.io.output import summary_json
from planner.report.econ import econ_lines
from planner.report.plan_sections import thin_curve_why
from planner.workflow.plan import futures_to_folder, has_futures, plan_to_folder

console = Console(highlight=False)


def print_summary(summary: PlanSummary, tables: Any, out_dir: Path | None) -> None:
    """The plan in the terminal: status, then demand served (and any shortfall, with why),
    then spend, and only then the penalty and the objective that adds it."""
    s = summary
    status = s.status
    standing = plan_standing(s)
    gap = s.mip_gap
    head = f"[bold]{escape(s.scenario or 'plan')}[/]: status [bold]{status}[/]"
    if gap is not None:
        head += f", gap {gap:.4%}"
    if s.best_bound_usd is not None:
        head += f", best bound {usd(s.best_bound_usd)}"
    head += f", solved in {s.solve_seconds:.2f} s"
    console.print(head)
    if standing == "weak":
        console.print("[bold red]the time limit stopped HiGHS far from a proven answer[/] "
                      f"(gap {pct(gap)}): this is only the best plan found so far and may "
                      "cost much more than the optimum; no conclusion should rest on it. "
                      "Raise --time-limit (solver.time_limit_s).")
    elif standing == "time_limit":
        console.print("[yellow]the time limit stopped HiGHS: this plan is the best found, "
                      "not proven optimal[/]")
    print_demand(s)
    print_thin_curves(getattr(tables, "thin_curves", None))
    b = s.cost_breakdown_usd
    t = Table(title="Spend over the horizon (discounted, capex as the scenario accounts it)",
              show_header=True)
    t.add_column("item")
    t.add_column("USD", justify="right")
    for k, v in (("capex", b.capex), ("energy", b.energy), ("opex", b.opex),
                 *((("rent", b.rent),) if b.rent is not None else ())):  # B. renting
        t.add_row(k, usd(v))
    if b.resale is not None:  # C. refresh
        t.add_row("resale (units retired early)", usd(b.resale))
    t.add_row("[bold]spend[/]", f"[bold]{usd(s.spend_usd)}[/]")
    if s.unmet_penalty_usd:
        t.add_row("unmet-demand penalty (a price set in the scenario, not money)",
                  usd(s.unmet_penalty_usd))
        t.add_row("objective (spend + penalty)", usd(s.total_cost_usd))
    console.print(t)
    cpm = s.cost_per_mtok_usd
    console.print(f"cost per million tokens served: [bold]"
                  f"{usd_fixed(cpm, 4)}[/] (spend / tokens served)   "
                  f"tokens/s per MW: [bold]{num(s.tokens_per_s_per_mw)}[/]")
    for line in econ_lines(s):  # B. renting, D. prices
        console.print(line)
    pp = tables.purchase_plan
    if len(pp):
        pt = Table(title="Purchases by period", caption="order by: the period at whose "
                   "start to order, the lead time before service")
        for col in ("period", "order by", "site", "system", "units", "GPUs", "capex"):
            pt.add_column(col, justify="right" if col in ("units", "GPUs", "capex")
                          else "left")
        for r in pp.itertuples():
            pt.add_row(r.period, r.order_by_period, escape(r.site), escape(r.system),
                       str(r.units), str(r.gpus), usd(r.capex_usd))
        console.print(pt)
    elif standing != "optimal":
        console.print("no purchases in the best plan found so far (not proven optimal)")
    elif s.unmet_tokens:
        console.print("no purchases: the installed fleet, with the shortfall above, is the "
                      "least-cost plan")
    else:
        console.print("no purchases: the installed fleet and rented GPUs serve all demand "
                      "at least cost" if s.rented_tokens else
                      "no purchases: the installed fleet serves all demand at least cost")
    bp = tables.build_plan  # A. building power: only when the scenario has `build:`
    if bp is not None:
        if len(bp):
            bt = Table(title="Power built by period")
            for col in ("period", "site", "blocks", "MW", "capex"):
                bt.add_column(col, justify="left" if col in ("period", "site") else "right")
            for r in bp.itertuples():
                bt.add_row(r.period, escape(r.site), str(r.blocks), f"{r.mw:g}",
                           usd(r.capex_usd))
            console.print(bt)
        else:
            console.print("build nothing: no block of power pays for itself in this plan")
    if out_dir is not None:
        console.print(f"plan written to {escape(str(out_dir))}/")


def print_demand(s: PlanSummary) -> None:
    """Tokens served, and before any cost: how much demand goes unserved, where and why."""
    if s.demand_input:  # a forecast in other units, layout or periods: how it was read
        console.print(f"demand as read: {escape(str(s.demand_input.get('statement', '')))}")
    sf = s.shortfall
    served = num(s.tokens_served)
    if sf is None or not sf.classes_short:
        console.print(f"demand: all {served} tokens served")
        return
    console.print(
        f"[bold red]shortfall:[/] {num(sf.unmet_tokens)} tokens of demand not served "
        f"({pct(sf.unmet_share)}) in {sf.classes_short} demand class(es); "
        f"{served} tokens served; unmet-demand penalty {usd(sf.penalty_usd)}")
    for c in sf.largest:
        console.print(
            f"  {escape(str(c.model))} in {c.period} at "
            f"{c.min_tokens_per_s_per_user:g} tokens/s per user: "
            f"{num(c.unmet_tokens_per_s)} of {num(c.demand_tokens_per_s)} tokens/s "
            f"short ({pct(c.unmet_share)}); {escape(str(c.why))}",
            soft_wrap=True)
    rest = int(sf.classes_short) - len(sf.largest)
    if rest > 0:
        console.print(f"  and {rest} more class(es): service.csv lists every one")


def print_thin_curves(tc: Any, most: int = 3) -> None:
    """Demand served from a one-point curve or below a curve's lowest point
    (thin_curves.csv): a caveat on the data, not on the plan."""
    if tc is None or not len(tc):
        return
    groups = list(tc.groupby(["model", "min_tokens_per_s_per_user", "system", "capacity"],
                             sort=False))
    console.print("[yellow]thin data:[/] some demand is served by systems whose throughput "
                  "at its SLO comes from a curve with one point or from below a curve's "
                  "lowest point (thin_curves.csv; the report's notes)", soft_wrap=True)
    for (model, slo, system, capacity), grp in groups[:most]:
        r = grp.iloc[0]
        why = thin_curve_why(str(r["reason"]), int(r["curve_points"]),
                             float(r["point_tokens_per_s_per_user"]),
                             float(r["point_tokens_per_s_per_gpu"]))
        console.print(f"  {escape(str(model))} at {float(slo):g} tokens/s per user on "
                      f"{escape(str(system))} ({capacity}): {why}", soft_wrap=True)
    if len(groups) > most:
        console.print(f"  and {len(groups) - most} more: thin_curves.csv lists every one")


@app.command("plan")
def plan_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (the v1 contract).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the plan files.")] = Path(
        "plan-out"),
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Seconds the whole run may take: loading, the plan, its "
        "analyses and the report (overrides solver.time_limit_s).",
        min=0.001)] = None,
    gap: Annotated[float | None, typer.Option(
        "--gap", help="Relative MIP gap to stop at (overrides solver.mip_rel_gap).",
        min=0.0, max=1.0)] = None,
    threads: Annotated[int | None, typer.Option(
        "--threads", help="HiGHS threads, 0 = HiGHS decides (overrides solver.threads).",
        min=0)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print summary.json instead of the readable summary.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")
                     ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    what_if: Annotated[list[Path] | None, typer.Option(
        "--what-if", help="What-if file (partial scenario) merged onto the scenario; "
        "repeatable. The merged scenario is written as scenario.merged.yaml.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="PATH=VALUE (YAML value), e.g. sites.hall-b.power_mw=40; repeatable.")
                    ] = None,
    no_report: Annotated[bool, typer.Option(
        "--no-report", help="Write the plan tables only: no report, marginal values or "
        "baselines (docs/report.md).")] = False,
    no_marginals: Annotated[bool, typer.Option(
        "--no-marginals", help="Skip the re-solves for marginal_values.csv.")] = False,
    no_baselines: Annotated[bool, typer.Option(
        "--no-baselines", help="Skip the baseline plans for baselines.csv.")] = False,
    analysis_time: Annotated[float | None, typer.Option(
        "--analysis-time", min=0.0,
        help="Seconds the analyses (baseline plans, marginal-value re-solves) may take in "
        "all (default: 0.75 of the time the plan took, at least 3 s), within what "
        "--time-limit leaves of the run.")] = None,
    futures: Annotated[str | None, typer.Option(
        "--futures", help="Plan several futures made from the one demand forecast, "
        "name=factor[@probability], comma-separated: low=0.7@0.25,base=1@0.5,high=1.5@0.25 "
        "(without @: equal probabilities). Writes the decision to take now, each future's "
        "plan, EVPI, VSS and a regret table (docs/scenario.md, G).")] = None,
    commit_periods: Annotated[int | None, typer.Option(
        "--commit-periods", min=1,
        help="With futures: periods decided now, the same in every future (overrides "
        "uncertainty.commit_periods; default the whole horizon).")] = None,
    max_columns: Annotated[int, typer.Option(
        "--max-columns", min=1,
        help="Largest model to build, in variables (about 3 KB of memory each while it "
        "is built); a larger one is refused before building (docs/reliability.md).")
                           ] = MAX_COLUMNS,
) -> None:
    """Plan a scenario: least-cost purchases per hall and period; writes the plan files.

    Exit codes: 0 plan written (optimal or time-limited), 2 invalid input,
    3 infeasible, 1 anything else, 130 interrupted.
    """
    started = time.perf_counter()  # the time limit bounds the command from here
    live = LiveLine(not (as_json or quiet), debug=debug, log=not err_console.is_terminal)
    live.start()
    try:
        if futures is not None or commit_periods is not None or (
                not (what_if or set_) and has_futures(scenario)):
            fres = futures_to_folder(scenario, out, futures=futures,
                                     commit_periods=commit_periods, time_limit_s=time_limit,
                                     mip_rel_gap=gap, threads=threads,
                                     report=not no_report, progress=live,
                                     max_columns=max_columns, started_at=started)
            live.stop()
            _print_futures(fres, out, as_json, quiet)
            return
        result = plan_to_folder(scenario, out, what_if or [], set_ or [],
                                time_limit_s=time_limit, mip_rel_gap=gap, threads=threads,
                                report=not no_report, marginals=not no_marginals,
                                baselines=not no_baselines, analysis_time_s=analysis_time,
                                progress=live, on_error=live.on_error,
                                max_columns=max_columns, started_at=started)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        live.stop()
        fail(exc, debug)
    live.stop()
    live.finish(result.summary)
    if as_json:
        typer.echo(summary_json(result.summary), nl=False)
    elif not quiet:
        print_summary(result.summary, result.tables, out)
        if not no_report:
            console.print(f"report: {escape(str(out))}/report.html (and report.md)")


def _print_futures(r: Any, out: Path, as_json: bool, quiet: bool) -> None:
    """G. a plan for several futures in the terminal: the decision first, then the
    figures and each future."""
    if quiet:
        return
    if as_json:
        typer.echo((out / "summary.json").read_text(encoding="utf-8"), nl=False)
        return
    from planner.core.futures_tables import committed_purchases, futures_table  # solver stack

    now = committed_purchases(r)
    now = now[now["committed"]]
    console.print(f"[bold]{escape(r.data.name or 'plan')}[/]: {len(r.names)} futures, status "
                  f"[bold]{r.outcome.status}[/], decided now: the first {r.commit_periods} "
                  "period(s)")
    t = Table(title="The decision to take now (the same in every future)")
    for col in ("period", "site", "system", "units", "capex"):
        t.add_column(col, justify="right" if col in ("units", "capex") else "left")
    for x in now.itertuples():
        t.add_row(x.period, escape(x.site), escape(x.system), str(x.units), usd(x.capex_usd))
    console.print(t if len(now) else "buy nothing now")
    vss = "n/a" if r.vss_usd is None else usd(r.vss_usd)
    console.print(f"expected cost [bold]{usd(r.expected_cost_usd)}[/]   EVPI "
                  f"{usd(r.evpi_usd)}   VSS {vss}")
    ft = Table(title="Each future")
    for col in ("future", "probability", "cost", "unmet penalty", "regret"):
        ft.add_column(col, justify="left" if col == "future" else "right")
    for x in futures_table(r).itertuples():
        ft.add_row(escape(str(x.future)), pct(x.probability), usd(x.total_cost_usd),
                   usd(x.unmet_penalty_usd), usd(x.regret_usd))
    console.print(ft)
    for note in r.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"plan written to {escape(str(out))}/ (regret.csv, futures/<name>/)")
