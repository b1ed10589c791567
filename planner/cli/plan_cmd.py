"""`planner plan SCENARIO -o DIR`: plan a scenario and write the plan files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.analysis.verdicts import plan_standing
from planner.cli import app, err_console, fail
from planner.core.summary import PlanSummary
from planner.fmt import num, pct, usd, usd_fixed
from planner.inputs.loader import load_inputs
from planner.io.output import REPORT_SET, check_output_dir, summary_json, write_files
from planner.report import plan_set
from planner.whatif.overlays import MERGED_FILE, merge_scenario

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
    b = s.cost_breakdown_usd
    t = Table(title="Spend over the horizon (discounted, capex as the scenario accounts it)",
              show_header=True)
    t.add_column("item")
    t.add_column("USD", justify="right")
    for k, v in (("capex", b.capex), ("energy", b.energy), ("opex", b.opex)):
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
    pp = tables.purchase_plan
    if len(pp):
        pt = Table(title="Purchases by period")
        for col in ("period", "site", "system", "units", "capex"):
            pt.add_column(col, justify="right" if col in ("units", "capex") else "left")
        for r in pp.itertuples():
            pt.add_row(r.period, escape(r.site), escape(r.system), str(r.units),
                       usd(r.capex_usd))
        console.print(pt)
    elif standing != "optimal":
        console.print("no purchases in the best plan found so far (not proven optimal)")
    elif s.unmet_tokens:
        console.print("no purchases: the installed fleet, with the shortfall above, is the "
                      "least-cost plan")
    else:
        console.print("no purchases: the installed fleet serves all demand at least cost")
    if out_dir is not None:
        console.print(f"plan written to {escape(str(out_dir))}/")


def print_demand(s: PlanSummary) -> None:
    """Tokens served, and before any cost: how much demand goes unserved, where and why."""
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


def plan_and_write(scenario: Path, out: Path, what_ifs: list[Path], sets: list[str], *,
                   live: Any, debug: bool, report: bool, marginals: bool, baselines: bool,
                   analysis_time_s: float | None, **plan_kw: Any) -> Any:
    """Plan (a what-if merged onto the scenario, if any), analyse, and write every file
    as one set: the plan, its analyses and its report, or nothing (docs/reliability.md).
    An analysis that fails is named on stderr and in the report; the plan is kept."""
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.api import plan

    check_output_dir(out)  # an unusable -o is refused before the solve, not after
    extra: dict[str, str] = {}
    if what_ifs or sets:  # what-if planning (docs/what-if.md)
        merged = merge_scenario(scenario, what_ifs, sets)
        inputs = merged.inputs()
        extra[MERGED_FILE] = merged.to_yaml()
    else:
        inputs = load_inputs(scenario)
    result = plan(inputs, on_stage=live.on_stage, progress=live.on_solver, **plan_kw)
    if result.data.warnings:  # e.g. allow_retirement with nothing to retire
        live.stop()
        for warning in result.data.warnings:
            err_console.print(f"[yellow]warning[/] {escape(warning)}", soft_wrap=True)
        live.start()

    def on_error(name: str, exc: BaseException) -> None:
        live.stop()
        err_console.print(f"[yellow]warning[/] {escape(name)} was not written: internal "
                          f"error ({escape(type(exc).__name__)}: {escape(str(exc))}); the "
                          "plan and the other analyses are written", soft_wrap=True)
        if debug:
            err_console.print_exception()
        live.start()

    files = plan_set(result, out, inputs.profiles, report=report, marginals=marginals,
                     baselines=baselines, progress=live.on_step, budget_s=analysis_time_s,
                     extra=extra, on_error=on_error)
    live.on_stage("write")
    write_files(out, files, remove=[f for f in REPORT_SET if f not in files])
    return result


@app.command("plan")
def plan_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (the v1 contract).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the plan files.")] = Path(
        "plan-out"),
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Seconds HiGHS may run (overrides solver.time_limit_s).",
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
        help="Seconds the marginal-value re-solves, and the baseline plans, may each take "
        "in all (default: twice the plan's solve time, at least 20 s).")] = None,
) -> None:
    """Plan a scenario: least-cost purchases per hall and period; writes the plan files.

    Exit codes: 0 plan written (optimal or time-limited), 2 invalid input,
    3 infeasible, 1 anything else.
    """
    # report_cmd registers its command after this module's: keeps the `--help` order
    from planner.cli.report_cmd import LiveLine

    live = LiveLine(not (as_json or quiet) and err_console.is_terminal)
    live.start()
    try:
        result = plan_and_write(scenario, out, what_if or [], set_ or [], live=live,
                                debug=debug, time_limit_s=time_limit, mip_rel_gap=gap,
                                threads=threads, report=not no_report,
                                marginals=not no_marginals, baselines=not no_baselines,
                                analysis_time_s=analysis_time)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        live.stop()
        fail(exc, debug)
    live.stop()
    if as_json:
        typer.echo(summary_json(result.summary), nl=False)
    elif not quiet:
        print_summary(result.summary, result.tables, out)
        if not no_report:
            console.print(f"report: {escape(str(out))}/report.html (and report.md)")
