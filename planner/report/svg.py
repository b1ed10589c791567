"""Inline SVG charts, written by hand: no JavaScript, no network, printable.

Each function returns one ``<svg>`` element (a string) with a title, axes and a legend.
Colours come from fixed palettes, so the same input gives the same bytes.

Two families, each with its own palette and size, kept apart so that no page changes:

- the plan report's (`planner.report.content`): `stacked_bars`, `bars_vs_line`;
  `REPORT_PALETTE` (Tableau 10, then four more), 760 x 300 px, a ``<title>`` tooltip on every
  mark, styled by the report's CSS classes;
- the what-if pages' (`planner.report.whatif`): `line_chart`, `bar_chart`, `tornado_chart`;
  `WHATIF_PALETTE` (matplotlib's tab10), 720 x 340 px, styled inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any, NamedTuple

from planner.fmt import num_fixed, tick, usd_short
from planner.whatif.words import value_text


class Box(NamedTuple):
    """A chart's size and its margins, px: the axis labels sit in the left margin, the
    legend in the right one, the title in the top one."""

    w: int
    h: int
    ml: int
    mr: int
    mt: int
    mb: int


REPORT_PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                  "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#8c564b",
                  "#17becf", "#bcbd22"]
WHATIF_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
#: the report's lines drawn across its bars (a cap, demand), in order
REPORT_LINE_COLORS = ["#222222", "#d62728", "#7f7f7f"]
#: the report's colour for a bar that hits its cap
ALERT = "#e15759"

REPORT_BOX = Box(760, 300, 70, 170, 34, 46)
WHATIF_BOX = Box(720, 340, 90, 170, 36, 56)


def color(i: int, palette: Sequence[str] = REPORT_PALETTE) -> str:
    """The i-th colour of a palette, cycling."""
    return palette[i % len(palette)]


# --------------------------------------------------------------------------- plan report


def _nice_max(v: float) -> float:
    if v <= 0 or not math.isfinite(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v * 1.0000001:
            return float(m * exp)
    return float(10 * exp)


def _frame(title: str, y_label: str, ymax: float, cats: Sequence[str]) -> list[str]:
    W, H, ML, MR, MT, MB = REPORT_BOX
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
    W, _, _, MR, MT, _ = REPORT_BOX
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
    W, H, ML, MR, MT, MB = REPORT_BOX
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
    W, H, ML, MR, MT, MB = REPORT_BOX
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
    for k, (name, vals) in enumerate(lines):
        col = color(k, REPORT_LINE_COLORS)
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
    legend += [(name, color(k, REPORT_LINE_COLORS), "dash" if k == 0 else "line")
               for k, (name, _) in enumerate(lines)]
    out += _legend(legend)
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- what-if pages


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
    W, H = WHATIF_BOX.w, WHATIF_BOX.h
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">',
            f'<text x="{W / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{escape(title)}</text>']


def _y_axis(out: list[str], ticks: list[float], ymap: Any, y_title: str,
            fmt: Any) -> None:
    W, H, ML, MR, MT, MB = WHATIF_BOX
    for t in ticks:
        y = ymap(t)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(fmt(t))}</text>')
    out.append(f'<text x="14" y="{(MT + H - MB) / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(MT + H - MB) / 2:.0f})">'
               f'{escape(y_title)}</text>')


def _whatif_legend(out: list[str], names: Sequence[str]) -> None:
    W, MR, MT = WHATIF_BOX.w, WHATIF_BOX.mr, WHATIF_BOX.mt
    for i, name in enumerate(names):
        y = MT + 8 + i * 16
        out.append(f'<rect x="{W - MR + 12}" y="{y - 8}" width="10" height="10" '
                   f'fill="{color(i, WHATIF_PALETTE)}"/>')
        out.append(f'<text x="{W - MR + 28}" y="{y + 1}">{escape(name[:24])}</text>')


def line_chart(xs: Sequence[Any], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, x_title: str, y_title: str, fmt: Any = num_fixed) -> str:
    """Lines of y against x (numeric x to scale, otherwise evenly spaced); gaps where
    a point has no value."""
    W, H, ML, MR, MT, MB = WHATIF_BOX
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
                   f'{escape(label)}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
               f'{escape(x_title)}</text>')
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    for k, (_, s) in enumerate(series):
        hue = color(k, WHATIF_PALETTE)
        seg: list[str] = []
        for x, y in zip(xv, s, strict=True):
            if y is None or not math.isfinite(y):
                if len(seg) > 1:
                    out.append(f'<polyline fill="none" stroke="{hue}" stroke-width="2" '
                               f'points="{" ".join(seg)}"/>')
                seg = []
                continue
            seg.append(f"{xmap(x):.1f},{ymap(y):.1f}")
            out.append(f'<circle cx="{xmap(x):.1f}" cy="{ymap(y):.1f}" r="3" '
                       f'fill="{hue}"/>')
        if len(seg) > 1:
            out.append(f'<polyline fill="none" stroke="{hue}" stroke-width="2" '
                       f'points="{" ".join(seg)}"/>')
    _whatif_legend(out, [name for name, _ in series])
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(labels: Sequence[str], stacks: Sequence[tuple[str, Sequence[float | None]]],
              title: str, y_title: str, fmt: Any = usd_short) -> str:
    """Stacked bars, one per label (a label without values is marked "no plan")."""
    W, H, ML, MR, MT, MB = WHATIF_BOX
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
                   f'{escape(label[:16])}</text>')
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
                       f'height="{y_bot - y_top:.1f}" fill="{color(k, WHATIF_PALETTE)}"/>')
            acc += v
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    if len(stacks) > 1:
        _whatif_legend(out, [name for name, _ in stacks])
    out.append("</svg>")
    return "\n".join(out)


#: a tornado chart's rows: px per row, and the left margin that holds the row labels
TORNADO_ROW_PX = 26
TORNADO_LABEL_PX = 230


def tornado_chart(labels: Sequence[str], low: Sequence[float | None],
                  high: Sequence[float | None], title: str, x_title: str,
                  low_name: str, high_name: str, fmt: Any = usd_short) -> str:
    """A tornado: a row per label, in the order given (the caller ranks them, largest
    first), each with two bars from a centre line at 0: `low[i]`, what a result does when
    the figure is lowered, and `high[i]`, when it is raised (either may sit on either side
    of 0). A value of None (no plan) is marked "no plan". The what-if pages' palette and
    width; the height grows with the rows."""
    W, _, _, MR, MT, MB = WHATIF_BOX
    ML = TORNADO_LABEL_PX
    n = len(labels)
    H = MT + MB + max(1, n) * TORNADO_ROW_PX
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">',
           f'<text x="{W / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
           f'font-weight="bold">{escape(title)}</text>']
    vals = [float(v) for v in (*low, *high) if v is not None and math.isfinite(v)]
    if not n or not vals:
        out.append(f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" text-anchor="middle">'
                   'nothing to chart</text></svg>')
        return "\n".join(out)
    lo, hi = min(0.0, *vals), max(0.0, *vals)
    if hi - lo <= 0:
        lo, hi = -1.0, 1.0
    ticks = _nice_ticks(lo, hi)
    x0, x1 = ticks[0], ticks[-1]

    def xmap(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * (W - ML - MR)

    bottom = H - MB
    for t in ticks:
        x = xmap(t)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
                   f'{escape(fmt(t))}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
               f'{escape(x_title)}</text>')
    zero = xmap(0.0)
    bar_h = (TORNADO_ROW_PX - 8) / 2
    for i, label in enumerate(labels):
        y = MT + i * TORNADO_ROW_PX + 4
        out.append(f'<text x="{ML - 6}" y="{y + bar_h + 4:.1f}" text-anchor="end">'
                   f'{escape(label[:36])}</text>')
        for k, (name, v) in enumerate(((low_name, low[i]), (high_name, high[i]))):
            yy = y + k * bar_h
            if v is None or not math.isfinite(v):
                out.append(f'<text x="{zero + 4:.1f}" y="{yy + bar_h - 1:.1f}" '
                           'fill="#d62728">no plan</text>')
                continue
            xa, xb = sorted((zero, xmap(float(v))))
            out.append(f'<rect x="{xa:.1f}" y="{yy:.1f}" width="{max(xb - xa, 0.5):.1f}" '
                       f'height="{bar_h:.1f}" fill="{color(k, WHATIF_PALETTE)}">'
                       f'<title>{escape(label)} {escape(name)}: {escape(fmt(float(v)))}'
                       '</title></rect>')
    out.append(f'<line x1="{zero:.1f}" y1="{MT}" x2="{zero:.1f}" y2="{bottom}" '
               'stroke="#333"/>')
    _whatif_legend(out, [low_name, high_name])
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- futures (G)


def fan_chart(title: str, y_label: str, cats: Sequence[str],
              series: Sequence[tuple[str, Sequence[float]]], unit: str = "") -> str:
    """One line per future over the periods, on a band from the lowest to the highest
    future in each period (a fan of futures: demand, or the fleet each future gets)."""
    n = max(1, len(cats))
    top = max([max(v, default=0.0) for _, v in series] + [0.0])
    ymax = _nice_max(top)
    out = _frame(title, y_label, ymax, cats)
    W, H, ML, MR, MT, MB = REPORT_BOX
    pw, ph = W - ML - MR, H - MT - MB

    def pt(i: int, v: float) -> str:
        return f"{ML + pw * (i + 0.5) / n:.1f},{MT + ph - ph * max(0.0, v) / ymax:.1f}"

    if series:
        lo = [min(float(v[i]) for _, v in series) for i in range(len(cats))]
        hi = [max(float(v[i]) for _, v in series) for i in range(len(cats))]
        band = [pt(i, v) for i, v in enumerate(hi)] + \
            [pt(i, v) for i, v in reversed(list(enumerate(lo)))]
        out.append(f'<polygon points="{" ".join(band)}" fill="{REPORT_PALETTE[0]}" '
                   f'fill-opacity="0.15" stroke="none"><title>range of the futures</title>'
                   f'</polygon>')
    for k, (name, vals) in enumerate(series):
        pts = " ".join(pt(i, float(v)) for i, v in enumerate(vals))
        last = float(vals[-1]) if len(vals) else 0.0
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color(k)}" '
                   f'stroke-width="2" class="line"><title>{escape(name)}: {tick(last)} '
                   f'{escape(unit)} in {escape(cats[-1] if cats else "")}</title></polyline>')
    out += _legend([(name, color(k), "line") for k, (name, _) in enumerate(series)])
    out.append("</svg>")
    return "\n".join(out)
