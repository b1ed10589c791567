"""What `planner compare`, `planner sweep`, `planner new-hall` and `planner sensitivity`
print: their tables (spend first; the unmet penalty a price, not money; "same" within the
solver gap), the headlines and verdicts, the plans that failed, and the exit code."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from planner.cli.base import EXIT_ERROR, EXIT_INFEASIBLE, EXIT_INPUT
from planner.fmt import num_fixed, pct_down, usd_short, usd_signed
from planner.whatif.compare import Comparison
from planner.whatif.hallbuild import HallDecision, decision_lines
from planner.whatif.jobs import JobResult
from planner.whatif.newhall import NewHall
from planner.whatif.sensitivity import Sensitivity
from planner.whatif.sensitivity_words import (
    TERMINAL_COLUMNS,
    headlines,
    skipped_lines,
    terminal_frame,
)
from planner.whatif.sweep import Sweep
from planner.whatif.tables import SAME
from planner.whatif.words import (
    base_line,
    diff_text,
    equal_savings_text,
    short_status,
    value_text,
)
from planner.workflow.whatif import (
    COMPARISON_FILES,
    NEW_HALL_FILES,
    SENSITIVITY_FILES,
    SWEEP_FILES,
)

console = Console(highlight=False, soft_wrap=True)


def exit_code(results: Sequence[JobResult]) -> int:
    """0 if any plan was made; otherwise the code of the first failure."""
    if any(r.ok for r in results) or not results:
        return 0
    st = results[0].status
    if st.startswith("invalid"):
        return EXIT_INPUT
    if st == "infeasible":
        return EXIT_INFEASIBLE
    return EXIT_ERROR


def print_json(df: pd.DataFrame) -> None:
    """The table as JSON rows (NaN and infinities as null)."""
    rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in r.items()} for r in df.to_dict(orient="records")]
    typer.echo(json.dumps(rows, indent=2, default=str))


def print_failures(results: Sequence[JobResult]) -> None:
    bad = [r for r in results if not r.ok]
    if bad:
        console.print(f"[yellow]{len(bad)} of {len(results)} plans failed:[/]")
        for r in bad:
            console.print(f"  {r.name}: {r.message or r.status}", markup=False)


def _tok_diff(v: float | None) -> str:
    return diff_text(v, lambda x: ("+" if x > 0 else "") + num_fixed(x))


def _served(r: dict[str, Any]) -> str:
    share = r.get("demand_served_share")
    return "-" if share is None else pct_down(share)


# --------------------------------------------------------------------------- compare


def print_comparison(cmp: Comparison, out: Path | None) -> None:
    """The comparison's two tables, its headlines, the plans that failed, where it went."""
    df = cmp.table
    t = Table(title="What-if comparison over the horizon: spend (money) first; penalty = "
              "unserved demand at the price you set, not money")
    for col in ("variant", "status", "spend", "spend vs base", "served", "tokens vs base",
                "penalty", "total", "total vs base", "$/Mtok", "tok/s/MW", "peak MW"):
        t.add_column(col, justify="left" if col in ("variant", "status") else "right")
    rows = df.to_dict(orient="records")
    for r in rows:
        cpm = r["cost_per_mtok_usd"]
        is_base = r["variant"] == rows[0]["variant"]
        t.add_row(str(r["variant"]), short_status(str(r["status"])),
                  usd_short(r["spend_usd"]), "" if is_base else diff_text(r["spend_vs_base_usd"]),
                  _served(r), "" if is_base else _tok_diff(r["tokens_served_vs_base"]),
                  usd_short(r["unmet_penalty_usd"]), usd_short(r["total_cost_usd"]),
                  "" if is_base else diff_text(r["cost_vs_base_usd"]),
                  "-" if cpm is None else f"${cpm:,.4f}", num_fixed(r["tokens_per_s_per_mw"]),
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
    for line in cmp.headlines:
        console.print(line, markup=False)
    print_failures(cmp.results)
    if out is not None:
        table, page = COMPARISON_FILES
        console.print(f"comparison written to {out}/{table}, {out}/{page} and a plan folder "
                      "per variant")


# --------------------------------------------------------------------------- sweep


def print_sweep(sw: Sweep, out: Path | None) -> None:
    """The base's plan, a row per point, the plans that failed, where it went."""
    console.print(base_line(sw.base, sw.penalty_usd_per_mtok), markup=False)
    t = Table(title="Sweep: spend (money) first; penalty = unserved demand at the price you "
              "set, not money; \"same\" = within the plans' solver gap")
    for p in sw.paths:
        t.add_column(p)
    for col in ("status", "spend", "spend vs base", "served", "penalty", "total",
                "total vs base", "total vs prev.", "$/Mtok", "peak MW", "buys vs base"):
        t.add_column(col, justify="left" if col in ("status", "buys vs base") else "right")
    for r in sw.table.to_dict(orient="records"):
        cpm = r["cost_per_mtok_usd"]
        t.add_row(*[value_text(r[p]) for p in sw.paths], str(r["status"]),
                  usd_short(r["spend_usd"]), diff_text(r["spend_vs_base_usd"]), _served(r),
                  usd_short(r["unmet_penalty_usd"]), usd_short(r["total_cost_usd"]),
                  diff_text(r["cost_vs_base_usd"]),
                  "" if r["vs_previous"] is None else diff_text(r["cost_vs_previous_usd"]),
                  "-" if cpm is None else f"${cpm:,.4f}", num_fixed(r["peak_mw"], 3),
                  str(r["buys_vs_base"]))
    console.print(t)
    print_failures(sw.all_results)
    if out is not None:
        table, page = SWEEP_FILES
        console.print(f"sweep written to {out}/{table} and {out}/{page}")


# --------------------------------------------------------------------------- new hall


def print_new_hall(nh: NewHall, out: Path | None) -> None:
    """The baseline, what the hall changes per size (rows) and opening (columns), the
    verdicts, the plans that failed, where it went."""
    site = nh.site
    console.print(f"new hall {site!r} takes the {nh.template}", markup=False)
    console.print(f"baseline without {site}: "
                  + base_line(nh.baseline, nh.penalty_usd_per_mtok)[len("base: "):],
                  markup=False)
    t = Table(title=f"What {site} changes against the baseline: spend (money), tokens "
              "served more, MW of the hall used (rows: MW, columns: opening period; "
              "\"same\" = within solver gap)")
    t.add_column("MW", justify="right")
    for o in nh.opens:
        t.add_column(value_text(o), justify="right")
    rows = nh.table.to_dict(orient="records")
    for i, s in enumerate(nh.sizes):
        cells = [_new_hall_cell(rows[i * len(nh.opens) + j], nh.sizes[i - 1] if i else None)
                 for j in range(len(nh.opens))]
        t.add_row(value_text(s), *cells)
    console.print(t)
    console.print(equal_savings_text(nh.tolerance_usd), markup=False)
    for v in nh.verdicts:
        console.print(v, markup=False)
    print_failures(nh.all_results)
    if out is not None:
        table, page = NEW_HALL_FILES
        console.print(f"written to {out}/{table} and {out}/{page}")


def _new_hall_cell(r: dict[str, Any], smaller: Any = None) -> str:
    """``spend +$120.00M; +3.10T tok; uses 11.500 MW``, ``same as 10 MW; uses 11.500 MW``
    when nothing differs from the next smaller size beyond solver noise, or the status of
    a failed plan."""
    if r["total_cost_usd"] is None:
        return short_status(str(r["status"]))
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


def print_decision(d: HallDecision, out: Path | None) -> None:
    """The new hall's answer ("build N MW at SITE from PERIOD" or "build nothing"), the
    price at which it would change, and where it went."""
    console.print(f"new hall {d.site!r} takes the {d.template}; the plan decides its MW",
                  markup=False)
    for line in decision_lines(d):
        console.print(line, markup=False)
    if d.result.summary is not None:
        console.print(f"plan total cost: {usd_short(d.result.summary.total_cost_usd)}",
                      markup=False)
    print_failures([d.result])
    if out is not None:
        console.print(f"written to {out}/new_hall.txt, {out}/new_hall_probes.csv and "
                      f"{out}/plan/")


# --------------------------------------------------------------------------- sensitivity


def print_sensitivity(sens: Sensitivity, out: Path | None) -> None:
    """The figures ranked by what 20% off does to the plan's cost (the skipped ones
    after them, with their reason), the headlines, where it went."""
    lines = headlines(sens)
    if sens.base.summary is None:
        for line in lines:
            console.print(line, markup=False)
        return
    t = Table(title="Which estimates matter, ranked by how far 20% off moves the plan's "
              "cost (spend: money; \"same\" = within solver gap)")
    for col in TERMINAL_COLUMNS:
        t.add_column(col, justify="right" if col == "base value" else "left")
    for r in terminal_frame(sens).to_dict(orient="records"):
        t.add_row(*[str(r[c]) for c in TERMINAL_COLUMNS])
    console.print(t)
    for line in [*lines, *skipped_lines(sens)]:
        console.print(line, markup=False)
    if out is not None:
        table, page = SENSITIVITY_FILES
        console.print(f"written to {out}/{table} and {out}/{page}")
