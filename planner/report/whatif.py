"""The what-if pages: comparison.html, sweep.html, new_hall.html and sensitivity.html.

Each page is self-contained (inline SVG charts from `planner.report.svg`, no scripts, no
external files) and carries no timestamps, so the same results give the same bytes. The
tables and the words come from the what-if stage (`planner.whatif`); this module only
lays them out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from planner.fmt import num_fixed, pct_down, usd_short
from planner.report.svg import bar_chart, line_chart, tornado_chart
from planner.whatif.compare import Comparison
from planner.whatif.newhall import NewHall
from planner.whatif.sensitivity import WRONG_PCT, Sensitivity
from planner.whatif.sensitivity_words import display_frame, headlines, side
from planner.whatif.sweep import Sweep
from planner.whatif.tables import DIFF_COLUMNS
from planner.whatif.words import (
    NOISE_NOTE,
    base_line,
    diff_text,
    equal_savings_text,
    value_text,
)


def comparison_page(cmp: Comparison) -> str:
    """comparison.html: the base and the what-if files, the headlines, charts of spend,
    cost per million tokens and demand served, and the table."""
    df = cmp.table
    variants = list(df["variant"])
    charts = [
        bar_chart(variants, [("capex", list(df["capex_usd"])),
                             ("energy", list(df["energy_usd"])),
                             ("opex", list(df["opex_usd"]))],
                  "Spend over the horizon (the unmet penalty, a price, is not in it)", "USD"),
        bar_chart(variants, [("cost per Mtok", list(df["cost_per_mtok_usd"]))],
                  "Cost per million tokens served", "USD per Mtok",
                  fmt=lambda v: f"${v:,.3g}"),
        bar_chart(variants, [("served", list(df["demand_served_share"]))],
                  "Share of demand served", "share of demand", fmt=lambda v: f"{v:.0%}"),
    ]
    lines = ([f"base: {cmp.base_file}"] + [f"{n}: {f}" for n, f in cmp.what_ifs]
             + cmp.headlines + [NOISE_NOTE])
    return html_page(f"What-if comparison: {cmp.base_file.name}", lines, charts, df)


def sweep_page(sw: Sweep) -> str:
    """sweep.html: the base's plan and the varied values, charts of spend and of cost per
    million tokens against the first varied path, and the table."""
    lines = [f"{sw.base_file}: {base_line(sw.base, sw.penalty_usd_per_mtok)}"]
    lines += [f"{p}: {', '.join(value_text(v) for v in vals)}" for p, vals in sw.axes]
    lines.append(NOISE_NOTE + " vs_previous: against the point before along the last "
                 "varied path.")
    path = sw.paths[0]
    x_title = f"MW ({path})" if path.endswith("power_mw") else path
    charts = [
        line_chart(sw.xs(), sw.spend_lines(),
                   f"Spend against {path} (penalty: a price, not money)", x_title, "USD",
                   fmt=usd_short),
        line_chart(sw.xs(), sw.lines("cost_per_mtok_usd", "cost per Mtok"),
                   f"Cost per million tokens against {path}", x_title, "USD per Mtok",
                   fmt=lambda v: f"${v:,.3g}"),
    ]
    return html_page(f"Sweep: {sw.base_file.name}", lines, charts, sw.table)


def new_hall_page(nh: NewHall) -> str:
    """new_hall.html: where the hall's fields come from, the baseline, the verdicts,
    charts of spend saved, tokens served more and MW used against size, and the table."""
    site = nh.site
    lines = [f"base: {nh.base_file}; new hall {site!r} takes the {nh.template}",
             f"baseline (no {site}): "
             + base_line(nh.baseline, nh.penalty_usd_per_mtok)[len("base: "):],
             equal_savings_text(nh.tolerance_usd), NOISE_NOTE, *nh.verdicts]
    charts = [
        line_chart(nh.sizes, nh.lines("spend_saving_usd"),
                   f"Spend saved by {site} against the baseline (negative: spends more)",
                   f"MW ({site})", "USD of spend saved", fmt=usd_short),
        line_chart(nh.sizes, nh.lines("extra_tokens_served"),
                   f"Tokens served more with {site} than without", f"MW ({site})",
                   "tokens over the horizon"),
        line_chart(nh.sizes, nh.lines("hall_peak_mw"), f"MW the plan uses in {site}",
                   f"MW ({site})", "MW used (peak)", fmt=lambda v: f"{v:,.4g}"),
    ]
    return html_page(f"New hall {site}: size and opening", lines, charts, nh.table)


def sensitivity_page(sens: Sensitivity) -> str:
    """sensitivity.html: the base plan and what was searched, the flips, tornado charts
    of what the re-optimised plan spends and of the regret of the base plan's purchases
    at -20% and +20% (figures ranked by impact, the largest on top), and the table."""
    rows = [r for r in sens.table.to_dict(orient="records") if r["status"] == "searched"]
    labels = [str(r["parameter"]) for r in rows]
    low, high = f"figure -{WRONG_PCT:g}%", f"figure +{WRONG_PCT:g}%"

    def col(key: str, sign: int) -> list[float | None]:
        return [None if r.get(f"{key}_at_{side(sign)}_usd") is None
                else float(r[f"{key}_at_{side(sign)}_usd"]) for r in rows]

    charts = [
        tornado_chart(labels, col("spend_change", -1), col("spend_change", 1),
                      f"Spend of the re-optimised plan against the base, each figure "
                      f"{WRONG_PCT:g}% off", "USD of spend (money) against the base plan",
                      low, high),
        tornado_chart(labels, col("regret_spend", -1), col("regret_spend", 1),
                      f"Regret: the base plan's purchases held, each figure {WRONG_PCT:g}% "
                      "off (spend)", "USD of spend more than re-planning", low, high),
    ]
    unmet = [[None if r.get(f"regret_unmet_tokens_at_{side(sg)}") is None
              else float(r[f"regret_unmet_tokens_at_{side(sg)}"]) for r in rows]
             for sg in (-1, 1)]
    if any(v for vals in unmet for v in vals):
        charts.append(tornado_chart(
            labels, unmet[0], unmet[1], f"Regret: demand the base plan's purchases leave "
            f"unserved, each figure {WRONG_PCT:g}% off", "tokens more unserved than "
            "re-planning (the penalty, a price, in the table)", low, high, fmt=num_fixed))
    lines = [f"base: {sens.base_file}", *headlines(sens), NOISE_NOTE]
    return html_page(f"Sensitivity: {sens.base_file.name}", lines, charts,
                     display_frame(sens))


# --------------------------------------------------------------------------- HTML page

_CSS = """body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:12px;margin-top:12px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td.t{text-align:left}.bad{color:#b00}
.charts svg{margin:8px 16px 8px 0;border:1px solid #eee}"""


def _cell_html(col: str, v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, (int, float)) and not isinstance(v, bool) and col in DIFF_COLUMNS:
        if col.endswith("_usd"):
            return diff_text(float(v))
        return diff_text(float(v), lambda x: f"{x:+,.4g}" if abs(x) < 1e3 else
                         ("+" if x > 0 else "") + num_fixed(x))
    if isinstance(v, float):
        if col.endswith("_usd"):
            return usd_short(v)
        if col in ("mip_gap",):
            return f"{v:.4%}"
        if col == "demand_served_share":
            return pct_down(v)
        return num_fixed(v)
    return str(v)


def html_page(title: str, lines: Sequence[str], charts: Sequence[str],
              frame: pd.DataFrame) -> str:
    """A self-contained page: a title, a few lines of text, the charts and the table."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>"]
    out += [f"<p>{html.escape(line)}</p>" for line in lines]
    out.append('<div class="charts">')
    out += charts
    out.append("</div>")
    out.append("<table><thead><tr>")
    out += [f"<th>{html.escape(str(c))}</th>" for c in frame.columns]
    out.append("</tr></thead><tbody>")
    for row in frame.itertuples(index=False, name=None):
        out.append("<tr>")
        for col, v in zip(frame.columns, row, strict=True):
            text = html.escape(_cell_html(str(col), v))
            cls = "t"
            if col == "status" and isinstance(v, str) and v not in ("optimal", "time_limit"):
                cls = "t bad"
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cls = ""
            out.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></body></html>")
    return "\n".join(out) + "\n"
