"""Inline SVG charts, written by hand: no JavaScript, no network, printable.

Each function returns one ``<svg>`` element (a string) with a title, axes, a legend and
a ``<title>`` tooltip on every mark. Colours come from a fixed palette, so the same
input gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from planner.fmt import tick

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#8c564b", "#17becf", "#bcbd22"]

ALERT = "#e15759"

W, H = 760, 300
ML, MR, MT, MB = 70, 170, 34, 46  # margins: left (axis), right (legend), top, bottom


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _nice_max(v: float) -> float:
    if v <= 0 or not math.isfinite(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v * 1.0000001:
            return float(m * exp)
    return float(10 * exp)


def _frame(title: str, y_label: str, ymax: float, cats: Sequence[str]) -> list[str]:
    pw, ph = W - ML - MR, H - MT - MB
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {H}" '
           f'width="{W}" height="{H}" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="{ML}" y="20" class="ct">{escape(title)}</text>']
    for i in range(6):
        v = ymax * i / 5
        y = MT + ph - ph * i / 5
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{ML + pw}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">'
                   f'{tick(v)}</text>')
    out.append(f'<text x="14" y="{MT + ph / 2:.1f}" class="ax" text-anchor="middle" '
               f'transform="rotate(-90 14 {MT + ph / 2:.1f})">{escape(y_label)}</text>')
    n = max(1, len(cats))
    step = max(1, math.ceil(n / 12))
    for i, c in enumerate(cats):
        if i % step:
            continue
        x = ML + pw * (i + 0.5) / n
        out.append(f'<text x="{x:.1f}" y="{MT + ph + 16}" class="ax" text-anchor="middle">'
                   f'{escape(c)}</text>')
    out.append(f'<line x1="{ML}" y1="{MT + ph}" x2="{ML + pw}" y2="{MT + ph}" class="axis"/>')
    return out


def _legend(items: Sequence[tuple[str, str, str]]) -> list[str]:
    """items: (label, colour, kind) with kind 'box' or 'line' or 'dash'."""
    out = []
    x0 = W - MR + 14
    for i, (label, col, kind) in enumerate(items[:14]):
        y = MT + 6 + i * 18
        if kind == "box":
            out.append(f'<rect x="{x0}" y="{y - 9}" width="12" height="12" fill="{col}"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            out.append(f'<line x1="{x0}" y1="{y - 3}" x2="{x0 + 14}" y2="{y - 3}" '
                       f'stroke="{col}" stroke-width="2.5"{dash}/>')
        out.append(f'<text x="{x0 + 20}" y="{y + 1}" class="lg">{escape(label[:22])}</text>')
    if len(items) > 14:
        out.append(f'<text x="{x0}" y="{MT + 6 + 14 * 18}" class="lg">+{len(items) - 14} '
                   f'more</text>')
    return out


def stacked_bars(title: str, y_label: str, cats: Sequence[str],
                 series: Sequence[tuple[str, Sequence[float]]], unit: str = "") -> str:
    """Bars per category, stacked by series (e.g. MW in service per period, by system)."""
    totals = [sum(s[1][i] for s in series) for i in range(len(cats))]
    ymax = _nice_max(max(totals, default=0.0))
    out = _frame(title, y_label, ymax, cats)
    pw, ph = W - ML - MR, H - MT - MB
    n = max(1, len(cats))
    bw = pw / n * 0.7
    for i, c in enumerate(cats):
        x = ML + pw * (i + 0.5) / n - bw / 2
        base = 0.0
        for k, (name, vals) in enumerate(series):
            v = float(vals[i])
            if v <= 0:
                continue
            y1 = MT + ph - ph * (base + v) / ymax
            h = ph * v / ymax
            out.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                       f'fill="{color(k)}" class="bar"><title>{escape(c)} {escape(name)}: '
                       f'{tick(v)} {escape(unit)}</title></rect>')
            base += v
    out += _legend([(name, color(k), "box") for k, (name, _) in enumerate(series)])
    out.append("</svg>")
    return "\n".join(out)


def bars_vs_line(title: str, y_label: str, cats: Sequence[str],
                 bars: Sequence[tuple[str, Sequence[float]]],
                 lines: Sequence[tuple[str, Sequence[float]]], unit: str = "",
                 highlight: Sequence[bool] | None = None,
                 highlight_label: str = "") -> str:
    """Grouped bars per category, with lines (caps, demand) drawn across them.

    `highlight` marks categories whose first bar is drawn in the alert colour (e.g. the
    periods where a cap binds)."""
    top = max([max(v, default=0.0) for _, v in bars] + [max(v, default=0.0) for _, v in lines]
              + [0.0])
    ymax = _nice_max(top)
    out = _frame(title, y_label, ymax, cats)
    pw, ph = W - ML - MR, H - MT - MB
    n = max(1, len(cats))
    nb = max(1, len(bars))
    gw = pw / n * 0.7
    bw = gw / nb
    for i, c in enumerate(cats):
        x0 = ML + pw * (i + 0.5) / n - gw / 2
        for k, (name, vals) in enumerate(bars):
            v = float(vals[i])
            h = ph * max(0.0, v) / ymax
            hot = k == 0 and highlight is not None and highlight[i]
            col = ALERT if hot else color(k)
            note = f" ({highlight_label})" if hot and highlight_label else ""
            out.append(f'<rect x="{x0 + k * bw:.1f}" y="{MT + ph - h:.1f}" '
                       f'width="{bw * 0.92:.1f}" height="{h:.1f}" fill="{col}" '
                       f'class="bar"><title>{escape(c)} {escape(name)}: {tick(v)} '
                       f'{escape(unit)}{escape(note)}</title></rect>')
    line_cols = ["#222222", "#d62728", "#7f7f7f"]
    for k, (name, vals) in enumerate(lines):
        col = line_cols[k % len(line_cols)]
        pts = []
        for i, v in enumerate(vals):
            xa = ML + pw * i / n
            xb = ML + pw * (i + 1) / n
            y = MT + ph - ph * float(v) / ymax
            pts += [f"{xa:.1f},{y:.1f}", f"{xb:.1f},{y:.1f}"]
        dash = ' stroke-dasharray="6 4"' if k == 0 else ""
        out.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{col}" '
                   f'stroke-width="2"{dash} class="line"><title>{escape(name)}</title>'
                   f'</polyline>')
    legend = [(name, color(k), "box") for k, (name, _) in enumerate(bars)]
    if highlight is not None and any(highlight) and highlight_label:
        legend.append((highlight_label, ALERT, "box"))
    legend += [(name, line_cols[k % len(line_cols)], "dash" if k == 0 else "line")
               for k, (name, _) in enumerate(lines)]
    out += _legend(legend)
    out.append("</svg>")
    return "\n".join(out)
