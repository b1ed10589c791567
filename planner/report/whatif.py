"""The what-if pages: comparison.html, sweep.html, new_hall.html and sensitivity.html.

Each page is a `planner.report.document.Report` rendered by `planner.report.render.to_html`,
so it reads like the plan's report.html: the same stylesheet, headline tiles, sections,
charts from `planner.report.svg` with the numbers behind each, and tables with human
column names, split by topic so each fits a 1300 px screen (and reads as cards on a
phone). Self-contained (inline SVG, no script, no external file) and without
timestamps, so the same results give the same bytes. The tables and the words come from
the what-if stage (`planner.whatif`); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from planner.fmt import num_fixed, pct_down, usd_fixed, usd_short
from planner.report.document import Bullets, Chart, Links, Report, Section, Table
from planner.report.render import to_html
from planner.report.svg import bar_chart, line_chart, tornado_chart
from planner.whatif.compare import Comparison
from planner.whatif.jobs import JobResult
from planner.whatif.newhall import NewHall
from planner.whatif.sensitivity import WRONG_PCT, Sensitivity
from planner.whatif.sensitivity_words import display_frame, headlines, side
from planner.whatif.sweep import Sweep
from planner.whatif.tables import DIFF_COLUMNS, TABLE_GROUPS, Series, column_title
from planner.whatif.words import (
    NOISE_NOTE,
    base_line,
    diff_text,
    equal_savings_text,
    share_text,
    value_text,
)

#: the relative path of each plan report a page links to, by the plan's name
ReportLinks = Mapping[str, str]


def comparison_page(cmp: Comparison, reports: ReportLinks | None = None) -> str:
    """comparison.html: the base and the what-if files, the headlines, charts of spend,
    cost per million tokens and demand served, the tables, and links to the plan
    reports (`reports`, with ``--reports``)."""
    df = cmp.table
    variants = [str(v) for v in df["variant"]]
    charts = [
        _bar_chart(variants, [("capex", list(df["capex_usd"])),
                              ("energy", list(df["energy_usd"])),
                              ("opex", list(df["opex_usd"]))],
                   "Spend over the horizon (the unmet penalty, a price, is not in it)",
                   "USD", "usd"),
        _bar_chart(variants, [("cost per Mtok", list(df["cost_per_mtok_usd"]))],
                   "Cost per million tokens served", "USD per Mtok", "usd"),
        _bar_chart(variants, [("served", list(df["demand_served_share"]))],
                   "Share of demand served", "share of demand", "share"),
    ]
    lines = ([f"base: {cmp.base_file}"] + [f"{n}: {f}" for n, f in cmp.what_ifs]
             + cmp.headlines + [NOISE_NOTE])
    base = cmp.results[0] if cmp.results else None
    tiles = [("plans made", f"{sum(r.ok for r in cmp.results)} of {len(cmp.results)}"),
             *_base_tiles(base)]
    return _page(f"What-if comparison: {cmp.base_file.name}", lines, tiles, charts,
                 _tables(df, ["variant"]), reports)


def sweep_page(sw: Sweep, reports: ReportLinks | None = None) -> str:
    """sweep.html: the base's plan and the varied values, charts of spend and of cost per
    million tokens against the first varied path, the tables, and links to the plan
    reports (`reports`)."""
    lines = [f"{sw.base_file}: {base_line(sw.base, sw.penalty_usd_per_mtok)}"]
    lines += [f"{p}: {', '.join(value_text(v) for v in vals)}" for p, vals in sw.axes]
    lines.append(NOISE_NOTE + " Against the previous point: the point before along the "
                 "last varied path.")
    path = sw.paths[0]
    x_title = f"MW ({path})" if path.endswith("power_mw") else path
    charts = [
        _line_chart(sw.xs(), sw.spend_lines(),
                    f"Spend against {path} (penalty: a price, not money)", x_title, "USD",
                    "usd"),
        _line_chart(sw.xs(), sw.lines("cost_per_mtok_usd", "cost per Mtok"),
                    f"Cost per million tokens against {path}", x_title, "USD per Mtok",
                    "usd"),
    ]
    tiles = [("points planned", f"{sum(r.ok for r in sw.results)} of {len(sw.results)}"),
             *_base_tiles(sw.base)]
    return _page(f"Sweep: {sw.base_file.name}", lines, tiles, charts,
                 _tables(sw.table, sw.paths), reports)


def new_hall_page(nh: NewHall, reports: ReportLinks | None = None) -> str:
    """new_hall.html: where the hall's fields come from, the baseline, the verdicts,
    charts of spend saved, tokens served more and MW used against size, the tables, and
    links to the plan reports (`reports`)."""
    site = nh.site
    lines = [f"base: {nh.base_file}; new hall {site!r} takes the {nh.template}",
             f"baseline (no {site}): "
             + base_line(nh.baseline, nh.penalty_usd_per_mtok)[len("base: "):],
             equal_savings_text(nh.tolerance_usd), NOISE_NOTE, *nh.verdicts]
    x_title = f"MW ({site})"
    charts = [
        _line_chart(nh.sizes, nh.lines("spend_saving_usd"),
                    f"Spend saved by {site} against the baseline (negative: spends more)",
                    x_title, "USD of spend saved", "usd"),
        _line_chart(nh.sizes, nh.lines("extra_tokens_served"),
                    f"Tokens served more with {site} than without", x_title,
                    "tokens over the horizon", "num"),
        _line_chart(nh.sizes, nh.lines("hall_peak_mw"), f"MW the plan uses in {site}",
                    x_title, "MW used (peak)", "num"),
    ]
    tiles = [("plans made", f"{sum(r.ok for r in nh.results)} of {len(nh.results)}"),
             *_base_tiles(nh.baseline, "baseline")]
    return _page(f"New hall {site}: size and opening", lines, tiles, charts,
                 _tables(nh.table, ["size_mw", "open"]), reports)


def sensitivity_page(sens: Sensitivity) -> str:
    """sensitivity.html: the base plan and what was searched, the flips, tornado charts
    of what the re-optimised plan spends and of the regret of the base plan's purchases
    at -20% and +20% (figures ranked by impact, the largest on top), and the tables."""
    rows = [r for r in sens.table.to_dict(orient="records") if r["status"] == "searched"]
    labels = [str(r["parameter"]) for r in rows]
    low, high = f"figure -{WRONG_PCT:g}%", f"figure +{WRONG_PCT:g}%"

    def col(key: str, sign: int) -> list[float | None]:
        return [None if r.get(f"{key}_at_{side(sign)}_usd") is None
                else float(r[f"{key}_at_{side(sign)}_usd"]) for r in rows]

    charts = [
        _tornado(labels, col("spend_change", -1), col("spend_change", 1),
                 f"Spend of the re-optimised plan against the base, each figure "
                 f"{WRONG_PCT:g}% off", "USD of spend (money) against the base plan",
                 (low, high)),
        _tornado(labels, col("regret_spend", -1), col("regret_spend", 1),
                 f"Regret: the base plan's purchases held, each figure {WRONG_PCT:g}% "
                 "off (spend)", "USD of spend more than re-planning", (low, high)),
    ]
    unmet = [[None if r.get(f"regret_unmet_tokens_at_{side(sg)}") is None
              else float(r[f"regret_unmet_tokens_at_{side(sg)}"]) for r in rows]
             for sg in (-1, 1)]
    if any(v for vals in unmet for v in vals):
        charts.append(_tornado(
            labels, unmet[0], unmet[1], f"Regret: demand the base plan's purchases leave "
            f"unserved, each figure {WRONG_PCT:g}% off", "tokens more unserved than "
            "re-planning (the penalty, a price, in the table)", (low, high), "num"))
    lines = [f"base: {sens.base_file}", *headlines(sens), NOISE_NOTE]
    frame = display_frame(sens)
    cols = list(frame.columns)
    tables = [_table(frame, cols[:6], "The figures searched, and where the purchases flip"),
              _table(frame, [cols[0], *cols[6:]], f"Each figure {WRONG_PCT:g}% wrong: "
                     "spend, and the regret of the base plan's purchases")]
    tiles = [("figures searched", str(len(rows))), *_base_tiles(sens.base)]
    return _page(f"Sensitivity: {sens.base_file.name}", lines, tiles, charts, tables, None)


# --------------------------------------------------------------------------- the page


def _page(title: str, lines: Sequence[str], tiles: list[tuple[str, str]],
          charts: Sequence[Chart], tables: Sequence[Table],
          reports: ReportLinks | None) -> str:
    """The page as the plan report lays it out: tiles, then the summary lines, the
    charts, the tables and the links to the plan reports."""
    sections = [Section("Summary", "summary", [Bullets(list(lines))]),
                Section("Charts", "charts", list(charts)),
                Section("Tables", "tables", list(tables))]
    if reports:
        sections.append(Section("Plan reports", "reports", [
            "The full report of each plan (report.html, as `planner plan` writes it):",
            Links([(name, href) for name, href in reports.items()])]))
    return to_html(Report(title, lines[0] if lines else "", tiles, sections))


def _base_tiles(base: JobResult | None, name: str = "base") -> list[tuple[str, str]]:
    """Headline tiles of the base (or baseline) plan: spend, cost per token, served."""
    s = base.summary if base is not None else None
    if s is None:
        return [(f"{name} plan", base.status if base is not None else "none")]
    return [(f"{name} spend", usd_short(s.spend_usd)),
            (f"{name} cost per million tokens", _per_mtok(s.cost_per_mtok_usd)),
            (f"{name} serves", share_text(s.demand_served_share))]


def _tables(frame: pd.DataFrame, keys: Sequence[str]) -> list[Table]:
    """A wide table split by topic (`TABLE_GROUPS`), each part beside the key columns;
    a column in no group goes to the last part."""
    keys = [str(k) for k in keys]
    placed = set(keys)
    out = []
    for caption, group in TABLE_GROUPS:
        cols = [c for c in group if c in frame.columns]
        if cols:
            out.append(_table(frame, [*keys, *cols], caption))
            placed.update(cols)
    rest = [str(c) for c in frame.columns if c not in placed]
    if rest:
        out.append(_table(frame, [*keys, *rest], "Other figures"))
    return out


#: columns of words, wide enough to read (the rest wraps or stays on one line)
_WIDE = {"vs_base", "vs_previous", "vs_baseline", "vs_smaller_size", "buys_vs_base",
         "buys_vs_baseline"}


def _table(frame: pd.DataFrame, cols: Sequence[str], caption: str) -> Table:
    rows = [[_cell(c, v) for c, v in zip(cols, row, strict=True)]
            for row in frame[list(cols)].itertuples(index=False, name=None)]
    align = "".join("w" if c in _WIDE else "r" if _numeric(frame[c]) else "l" for c in cols)
    return Table([column_title(c) for c in cols], rows, align, caption)


def _numeric(col: pd.Series) -> bool:
    return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for v in col)


def _per_mtok(v: float | None) -> str:
    return "-" if v is None else usd_fixed(v, 4)


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + num_fixed(x)


def _cell(col: str, v: Any) -> str:
    """A table cell: money, shares and counts in the planner's styles (`planner.fmt`),
    a difference within solver noise as ``same``; never scientific notation."""
    if v is None:
        return "-"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if col in DIFF_COLUMNS:
        return diff_text(float(v)) if col.endswith("_usd") else diff_text(float(v), _signed)
    if col == "cost_per_mtok_usd":
        return _per_mtok(float(v))
    if col.endswith("_usd"):
        return usd_short(float(v))
    if col == "mip_gap":
        return f"{v:.4%}"
    if col == "demand_served_share":
        return pct_down(float(v))
    if isinstance(v, int) or col in ("size_mw",) or "." in col:
        return value_text(v)
    return num_fixed(float(v), 3 if col.endswith("_mw") else 2)


# --------------------------------------------------------------------------- charts

_FORMAT: dict[str, Callable[[Any], str]] = {
    "usd": lambda v: usd_short(v), "share": lambda v: pct_down(v),
    "num": lambda v: num_fixed(v)}


def _fmt(v: float | None, kind: str) -> str:
    return "-" if v is None else _FORMAT[kind](float(v))


def _line_chart(xs: Sequence[Any], series: Series, title: str, x_title: str, y_title: str,
                kind: str) -> Chart:
    svg = line_chart(xs, series, title, x_title, y_title, kind)
    rows = [[value_text(x), *[_fmt(s[i], kind) for _, s in series]] for i, x in enumerate(xs)]
    return Chart(svg, "A point per plan (hover it for its value); each line has its own "
                 "dash and marker.", Table([x_title, *[n for n, _ in series]], rows,
                                   "l" + "r" * len(series)))


def _bar_chart(labels: Sequence[str], stacks: Series, title: str, y_title: str,
               kind: str) -> Chart:
    svg = bar_chart(labels, stacks, title, y_title, kind)
    rows = [[label, *[_fmt(s[i], kind) for _, s in stacks]]
            for i, label in enumerate(labels)]
    return Chart(svg, "A bar per plan (hover a bar for its value).",
                 Table(["variant", *[n for n, _ in stacks]], rows, "l" + "r" * len(stacks)))


def _tornado(labels: Sequence[str], low: list[float | None], high: list[float | None],
             title: str, x_title: str, names: tuple[str, str], kind: str = "usd") -> Chart:
    svg = tornado_chart(labels, low, high, title, x_title, names[0], names[1], kind)
    rows = [[label, _fmt(a, kind), _fmt(b, kind)]
            for label, a, b in zip(labels, low, high, strict=True)]
    return Chart(svg, "A row per figure, the largest effect on top (hover a bar for its "
                 "value).", Table(["figure", *names], rows, "lrr"))
