"""`planner plan SCENARIO -o DIR`: plan a scenario and write the plan files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.cli import app, err_console, fail
from planner.fmt import num, usd

console = Console(highlight=False)


def print_summary(summary: dict[str, Any], tables: Any, out_dir: Path | None) -> None:
    s = summary
    status = s["status"]
    gap = s.get("mip_gap")
    head = f"[bold]{escape(s.get('scenario') or 'plan')}[/]: status [bold]{status}[/]"
    if gap is not None:
        head += f", gap {gap:.4%}"
    if s.get("best_bound_usd") is not None:
        head += f", best bound {usd(s['best_bound_usd'])}"
    head += f", solved in {s['solve_seconds']:.2f} s"
    console.print(head)
    if status == "time_limit":
        console.print("[yellow]the time limit stopped HiGHS: this plan is the best found, "
                      "not proven optimal[/]")
    t = Table(title="Cost over the horizon", show_header=True)
    t.add_column("item")
    t.add_column("USD", justify="right")
    b = s["cost_breakdown_usd"]
    for k in ("capex", "energy", "opex", "unmet_penalty"):
        t.add_row(k, usd(b[k]))
    t.add_row("[bold]total[/]", f"[bold]{usd(s['total_cost_usd'])}[/]")
    console.print(t)
    cpm = s.get("cost_per_mtok_usd")
    console.print(f"cost per million tokens: [bold]{'-' if cpm is None else f'${cpm:,.4f}'}"
                  f"[/]   tokens/s per MW: [bold]{num(s.get('tokens_per_s_per_mw'))}[/]   "
                  f"tokens served: {num(s['tokens_served'])}   unmet: {num(s['unmet_tokens'])}")
    pp = tables.purchase_plan
    if len(pp):
        pt = Table(title="Purchases by period")
        for col in ("period", "site", "system", "units", "capex"):
            pt.add_column(col, justify="right" if col in ("units", "capex") else "left")
        for r in pp.itertuples():
            pt.add_row(r.period, escape(r.site), escape(r.system), str(r.units),
                       usd(r.capex_usd))
        console.print(pt)
    else:
        console.print("no purchases: the existing fleet (or unmet demand) is cheapest")
    if out_dir is not None:
        console.print(f"plan written to {escape(str(out_dir))}/")


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
    from planner.api import plan
    from planner.cli.report_cmd import LiveLine, write_plan_report

    live = LiveLine(not (as_json or quiet) and err_console.is_terminal)
    on_stage, progress = live.on_stage, live.on_solver
    live.start()
    try:
        from planner.output import check_output_dir

        check_output_dir(out)  # an unusable -o is refused before the solve, not after
        if what_if or set_:  # what-if planning (docs/what-if.md)
            from planner.whatif import merge_scenario, plan_merged

            result = plan_merged(merge_scenario(scenario, what_if or [], set_ or []), out,
                                 time_limit_s=time_limit, mip_rel_gap=gap, threads=threads,
                                 on_stage=on_stage, progress=progress)
            from planner.whatif import MERGED_FILE

            scenario = out / MERGED_FILE  # the report reads the merged scenario's profiles
        else:
            result = plan(scenario, time_limit_s=time_limit, mip_rel_gap=gap,
                          threads=threads, on_stage=on_stage, progress=progress)
            result.write(out)
        if not no_report:  # report.md/html, limits, marginal values, baselines
            write_plan_report(result, out, scenario, marginals=not no_marginals,
                              baselines=not no_baselines, live=live,
                              analysis_time_s=analysis_time)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        live.stop()
        fail(exc, debug)
    live.stop()
    if as_json:
        from planner.output import summary_json

        typer.echo(summary_json(result.summary), nl=False)
    elif not quiet:
        print_summary(result.summary, result.tables, out)
        if not no_report:
            console.print(f"report: {escape(str(out))}/report.html (and report.md)")
