"""Tables and pages of what-if runs: comparison rows, sweep rows, inline-SVG charts.

Everything here reads `JobResult`s (summaries and purchase lists), never the solver model.
The HTML pages are self-contained (inline SVG, no scripts, no external files) and carry
no timestamps, so the same results give the same bytes.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd

from planner.parallel import JobResult

HEAD_COLUMNS = ["status", "total_cost_usd", "cost_per_mtok_usd", "cost_vs_base_usd"]
FIGURE_COLUMNS = [
    "capex_usd", "energy_usd", "opex_usd", "unmet_penalty_usd",
    "tokens_per_s_per_mw", "capex_cash_usd", "peak_mw", "unmet_tokens", "units_bought",
    "mip_gap", "solve_seconds",
]
COMPARE_COLUMNS = ["variant", *HEAD_COLUMNS, *FIGURE_COLUMNS, "buys_vs_base"]


def figures(res: JobResult, base_cost: float | None = None) -> dict[str, Any]:
    """The comparison figures of one result (None where it has no plan)."""
    out: dict[str, Any] = {"status": res.status}
    s = res.summary
    if s is None:
        out.update({c: None for c in HEAD_COLUMNS[1:] + FIGURE_COLUMNS})
        return out
    b = s["cost_breakdown_usd"]
    total = float(s["total_cost_usd"])
    out.update({
        "total_cost_usd": total,
        "cost_per_mtok_usd": s.get("cost_per_mtok_usd"),
        "cost_vs_base_usd": None if base_cost is None else total - base_cost,
        "capex_usd": b["capex"],
        "energy_usd": b["energy"],
        "opex_usd": b["opex"],
        "unmet_penalty_usd": b["unmet_penalty"],
        "tokens_per_s_per_mw": s.get("tokens_per_s_per_mw"),
        "capex_cash_usd": s.get("capex_cash_usd"),
        "peak_mw": res.peak_mw,
        "unmet_tokens": s.get("unmet_tokens"),
        "units_bought": s.get("units_bought"),
        "mip_gap": s.get("mip_gap"),
        "solve_seconds": None,  # filled by the caller only when asked (not deterministic)
    })
    return out


def _units_by(purchases: Sequence[tuple[str, str, str, int, float]]
              ) -> dict[tuple[str, str], tuple[int, float]]:
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for _, site, system, units, capex in purchases:
        acc[(site, system)][0] += units
        acc[(site, system)][1] += capex
    return {k: (int(v[0]), float(v[1])) for k, v in acc.items()}


def buys_differently(base: JobResult | None, res: JobResult, limit: int = 4) -> str:
    """What a variant buys differently from the base, in words (units per hall and system).

    ``hall-b gb300-nvl72 +12 (40 vs 28); hall-a hgx-h200 -96 (0 vs 96)``, largest capex
    change first; ``same purchases`` or ``same units, other periods`` when nothing differs.
    """
    if res is base:
        return "(base)"
    if base is None or base.summary is None:
        return "no base plan to compare with"
    if res.summary is None:
        return ""
    a, b = _units_by(base.purchases), _units_by(res.purchases)
    diffs = []
    for key in sorted(set(a) | set(b)):
        ua, ca = a.get(key, (0, 0.0))
        ub, cb = b.get(key, (0, 0.0))
        if ua != ub:
            diffs.append((abs(cb - ca), key, ub - ua, ub, ua))
    if not diffs:
        if sorted(base.purchases) == sorted(res.purchases):
            return "same purchases"
        return "same units, other periods"
    diffs.sort(key=lambda d: (-d[0], d[1]))
    parts = [f"{site} {system} {delta:+d} ({ub} vs {ua})"
             for _, (site, system), delta, ub, ua in diffs[:limit]]
    if len(diffs) > limit:
        parts.append(f"and {len(diffs) - limit} more")
    return "; ".join(parts)


def comparison_frame(results: Sequence[JobResult], timings: bool = False) -> pd.DataFrame:
    """A row per variant, the base (first result) first."""
    base = results[0] if results else None
    base_cost = base.summary["total_cost_usd"] if base and base.summary else None
    rows = []
    for res in results:
        row: dict[str, Any] = {"variant": res.name}
        row.update(figures(res, base_cost))
        if timings:
            row["solve_seconds"] = round(res.seconds, 3)
        row["buys_vs_base"] = buys_differently(base, res)
        rows.append(row)
    df = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    if not timings:
        df = df.drop(columns=["solve_seconds"])
    return df.astype(object).where(df.notna(), None)


def sweep_frame(paths: Sequence[str], points: Sequence[Sequence[Any]],
                results: Sequence[JobResult], base: JobResult | None,
                timings: bool = False) -> pd.DataFrame:
    """A row per point: a column per varied path, then status and the figures."""
    base_cost = base.summary["total_cost_usd"] if base and base.summary else None
    rows = []
    for values, res in zip(points, results, strict=True):
        row: dict[str, Any] = dict(zip(paths, values, strict=True))
        row.update(figures(res, base_cost))
        if timings:
            row["solve_seconds"] = round(res.seconds, 3)
        row["buys_vs_base"] = buys_differently(base, res) if base else ""
        rows.append(row)
    cols = [*paths, *HEAD_COLUMNS, *FIGURE_COLUMNS, "buys_vs_base"]
    if not timings:
        cols.remove("solve_seconds")
    df = pd.DataFrame(rows, columns=cols)
    return df.astype(object).where(df.notna(), None)


# --------------------------------------------------------------------------- formatting


def usd(v: float | None) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    a = abs(v)
    sign = "-" if v < 0 and a >= 0.005 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.3f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.2f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.1f}K"
    return f"{sign}${a:,.2f}"


def num(v: float | None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    a = abs(v)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:,.{digits}f}{suf}"
    return f"{v:,.{digits}f}"


def value_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------- SVG charts

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
W, H = 720, 340
ML, MR, MT, MB = 90, 170, 36, 56


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [round(start, 12)]
    while ticks[-1] < hi - step * 1e-9 or len(ticks) < 2:
        ticks.append(round(start + step * len(ticks), 12))
    return ticks


def _svg_open(title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">',
            f'<text x="{W / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{html.escape(title)}</text>']


def _y_axis(out: list[str], ticks: list[float], ymap: Any, y_title: str,
            fmt: Any) -> None:
    for t in ticks:
        y = ymap(t)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{html.escape(fmt(t))}</text>')
    out.append(f'<text x="14" y="{(MT + H - MB) / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(MT + H - MB) / 2:.0f})">'
               f'{html.escape(y_title)}</text>')


def _legend(out: list[str], names: Sequence[str]) -> None:
    for i, name in enumerate(names):
        y = MT + 8 + i * 16
        out.append(f'<rect x="{W - MR + 12}" y="{y - 8}" width="10" height="10" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text x="{W - MR + 28}" y="{y + 1}">{html.escape(name[:24])}</text>')


def line_chart(xs: Sequence[Any], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, x_title: str, y_title: str, fmt: Any = num) -> str:
    """Lines of y against x (numeric x to scale, otherwise evenly spaced); gaps where
    a point has no value."""
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    xv = [float(x) for x in xs] if numeric else [float(i) for i in range(len(xs))]
    ys = [y for _, s in series for y in s if y is not None and math.isfinite(y)]
    out = _svg_open(title)
    if not xv or not ys:
        out.append(f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" text-anchor="middle">'
                   'no plan to chart</text></svg>')
        return "\n".join(out)
    lo, hi = min(ys), max(ys)
    if lo > 0 and lo < 0.5 * hi:
        lo = 0.0
    yt = _nice_ticks(lo, hi)
    x0, x1 = min(xv), max(xv)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1

    def xmap(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * (W - ML - MR)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / (yt[-1] - yt[0]) * (H - MT - MB)

    _y_axis(out, yt, ymap, y_title, fmt)
    xticks = _nice_ticks(x0, x1) if numeric else xv
    for i, t in enumerate(xticks):
        if t < x0 - 1e-9 or t > x1 + 1e-9:
            continue
        label = value_text(t) if numeric else value_text(xs[i])
        out.append(f'<text x="{xmap(t):.1f}" y="{H - MB + 16}" text-anchor="middle">'
                   f'{html.escape(label)}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
               f'{html.escape(x_title)}</text>')
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    for k, (_, s) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        seg: list[str] = []
        for x, y in zip(xv, s, strict=True):
            if y is None or not math.isfinite(y):
                if len(seg) > 1:
                    out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                               f'points="{" ".join(seg)}"/>')
                seg = []
                continue
            seg.append(f"{xmap(x):.1f},{ymap(y):.1f}")
            out.append(f'<circle cx="{xmap(x):.1f}" cy="{ymap(y):.1f}" r="3" '
                       f'fill="{color}"/>')
        if len(seg) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                       f'points="{" ".join(seg)}"/>')
    _legend(out, [name for name, _ in series])
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(labels: Sequence[str], stacks: Sequence[tuple[str, Sequence[float | None]]],
              title: str, y_title: str, fmt: Any = usd) -> str:
    """Stacked bars, one per label (a label without values is marked "no plan")."""
    out = _svg_open(title)
    totals = []
    for i in range(len(labels)):
        vals = [s[i] for _, s in stacks]
        totals.append(None if any(v is None for v in vals)
                      else sum(max(0.0, float(v)) for v in vals if v is not None))
    have = [t for t in totals if t is not None]
    if not labels or not have:
        out.append(f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" text-anchor="middle">'
                   'no plan to chart</text></svg>')
        return "\n".join(out)
    yt = _nice_ticks(0.0, max(have) or 1.0)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / (yt[-1] - yt[0]) * (H - MT - MB)

    _y_axis(out, yt, ymap, y_title, fmt)
    slot = (W - ML - MR) / len(labels)
    bw = min(60.0, slot * 0.7)
    for i, label in enumerate(labels):
        cx = ML + slot * (i + 0.5)
        out.append(f'<text x="{cx:.1f}" y="{H - MB + 16}" text-anchor="middle">'
                   f'{html.escape(label[:16])}</text>')
        if totals[i] is None:
            out.append(f'<text x="{cx:.1f}" y="{H - MB - 6}" text-anchor="middle" '
                       'fill="#d62728">no plan</text>')
            continue
        acc = 0.0
        for k, (_, s) in enumerate(stacks):
            v = max(0.0, float(s[i] or 0.0))
            if v <= 0:
                continue
            y_top, y_bot = ymap(acc + v), ymap(acc)
            out.append(f'<rect x="{cx - bw / 2:.1f}" y="{y_top:.1f}" width="{bw:.1f}" '
                       f'height="{y_bot - y_top:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>')
            acc += v
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    if len(stacks) > 1:
        _legend(out, [name for name, _ in stacks])
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML page

_CSS = """body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:12px;margin-top:12px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td.t{text-align:left}.bad{color:#b00}
.charts svg{margin:8px 16px 8px 0;border:1px solid #eee}"""


def _cell_html(col: str, v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if col.endswith("_usd") or col == "cost_vs_base_usd":
            return usd(v)
        if col in ("mip_gap",):
            return f"{v:.4%}"
        return num(v)
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
