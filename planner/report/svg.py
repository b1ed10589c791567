"""Inline SVG charts, written by hand: no JavaScript, no network, printable.

Each function returns one ``<svg>`` element (a string) with a title, axes and a legend.
Colours come from fixed palettes, so the same input gives the same bytes.

One look for every page (the plan report's and the what-if pages'): one palette
(`REPORT_PALETTE`: Tableau 10, then four more), the report's CSS classes (``ct`` title,
``ax`` axis text, ``lg`` legend, ``grid``, ``axis``, ``bar``), a ``<title>`` tooltip on
every mark, and axis labels from `planner.fmt.axis_labels` (their decimals follow the
tick step, so no two ticks read the same). Two sizes:

- the plan report's (`planner.report.content`): `stacked_bars`, `bars_vs_line`, 760 x 300 px;
- the what-if pages' (`planner.report.whatif`): `line_chart` (each line its own dash and
  marker; lines drawn over each other are named under the chart), `bar_chart`,
  `tornado_chart`, 720 x 340 px.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any, NamedTuple

from planner.fmt import axis_labels, num_fixed, pct, tick, usd_short
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
    ticks = [ymax * i / 5 for i in range(6)]
    for i, label in enumerate(axis_labels(ticks)):
        y = MT + ph - ph * i / 5
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{ML + pw}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">'
                   f'{label}</text>')
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

#: a line's look by its index: dash pattern and marker, so that a line drawn over another
#: stays visible (the colour alone would not tell two equal lines apart)
LINE_STYLES = [("", "circle"), ("7 4", "square"), ("2 3", "triangle"), ("10 3 2 3", "diamond")]


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


def _svg_open(title: str, h: int) -> list[str]:
    w = WHATIF_BOX.w
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
            f'width="{w}" height="{h}" role="img" aria-label="{escape(title)}">',
            f'<title>{escape(title)}</title>',
            f'<text x="{WHATIF_BOX.ml}" y="20" class="ct">{escape(title)}</text>']


def _empty(out: list[str], h: int, text: str = "no plan to chart") -> str:
    out.append(f'<text x="{WHATIF_BOX.w / 2:.0f}" y="{h / 2:.0f}" class="ax" '
               f'text-anchor="middle">{escape(text)}</text></svg>')
    return "\n".join(out)


def _y_axis(out: list[str], ticks: list[float], ymap: Any, y_title: str, kind: str) -> None:
    W, H, ML, MR, MT, MB = WHATIF_BOX
    for t, label in zip(ticks, axis_labels(ticks, kind), strict=True):
        y = ymap(t)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">'
                   f'{escape(label)}</text>')
    mid = (MT + H - MB) / 2
    out.append(f'<text x="14" y="{mid:.0f}" class="ax" text-anchor="middle" '
               f'transform="rotate(-90 14 {mid:.0f})">{escape(y_title)}</text>')


def _marker(shape: str, x: float, y: float, hue: str, tip: str) -> str:
    tail = f' fill="{hue}"><title>{escape(tip)}</title>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"{tail}</rect>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - 4.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f}"
        return f'<polygon points="{pts}"{tail}</polygon>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - 5:.1f} {x - 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x + 5:.1f},{y:.1f}"
        return f'<polygon points="{pts}"{tail}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5"{tail}</circle>'


def _whatif_legend(out: list[str], names: Sequence[str], lines: bool = False) -> None:
    W, MR, MT = WHATIF_BOX.w, WHATIF_BOX.mr, WHATIF_BOX.mt
    x0 = W - MR + 12
    for i, name in enumerate(names[:14]):
        y = MT + 8 + i * 16
        hue = color(i)
        if lines:
            dash, shape = LINE_STYLES[i % len(LINE_STYLES)]
            da = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{x0}" y1="{y - 3}" x2="{x0 + 18}" y2="{y - 3}" '
                       f'stroke="{hue}" stroke-width="2"{da}/>')
            out.append(_marker(shape, x0 + 9, y - 3, hue, name))
        else:
            out.append(f'<rect x="{x0}" y="{y - 8}" width="10" height="10" fill="{hue}"/>')
        out.append(f'<text x="{x0 + 24}" y="{y + 1}" class="lg">{escape(name[:24])}</text>')
    if len(names) > 14:
        out.append(f'<text x="{x0}" y="{MT + 8 + 14 * 16}" class="lg">+{len(names) - 14} '
                   'more</text>')


def coinciding(series: Sequence[tuple[str, Sequence[float | None]]], tol: float
               ) -> list[tuple[str, str]]:
    """(later, earlier) names of the lines drawn over an earlier one: every point within
    `tol` of it (a pixel of the chart), gaps at the same points."""
    out = []
    for k, (name, ys) in enumerate(series):
        for other, zs in series[:k]:
            if all((a is None) == (b is None) and (a is None or b is None or abs(a - b) <= tol)
                   for a, b in zip(ys, zs, strict=True)):
                out.append((name, other))
                break
    return out


def _x_axis(out: list[str], xs: Sequence[Any], xv: list[float], numeric: bool,
            xmap: Any, x_title: str, h: int) -> None:
    W, _, ML, MR, _, MB = WHATIF_BOX
    x0, x1 = min(xv), max(xv)
    if numeric:
        ticks = [t for t in _nice_ticks(x0, x1) if x0 - 1e-9 <= t <= x1 + 1e-9]
        labels = axis_labels(ticks) if len(ticks) > 1 else [value_text(t) for t in ticks]
    else:
        ticks, labels = xv, [value_text(x) for x in xs]
    base = WHATIF_BOX.h - MB
    for t, label in zip(ticks, labels, strict=True):
        out.append(f'<text x="{xmap(t):.1f}" y="{base + 16}" class="ax" '
                   f'text-anchor="middle">{escape(label)}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{WHATIF_BOX.h - 12}" class="ax" '
               f'text-anchor="middle">{escape(x_title)}</text>')
    out.append(f'<line x1="{ML}" y1="{base}" x2="{W - MR}" y2="{base}" class="axis"/>')


def line_chart(xs: Sequence[Any], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, x_title: str, y_title: str, kind: str = "num") -> str:
    """Lines of y against x (numeric x to scale, otherwise evenly spaced); gaps where a
    point has no value. `kind`: the y axis's labels (`planner.fmt.axis_labels`). Each line
    has its own dash and marker, and a line drawn over another is named under the chart
    ("A and B coincide"), so none is hidden."""
    W, H, ML, MR, MT, MB = WHATIF_BOX
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    xv = [float(x) for x in xs] if numeric else [float(i) for i in range(len(xs))]
    ys = [y for _, s in series for y in s if y is not None and math.isfinite(y)]
    if not xv or not ys:
        return _empty(_svg_open(title, H), H)
    lo, hi = min(ys), max(ys)
    if lo > 0 and lo < 0.5 * hi:
        lo = 0.0
    yt = _nice_ticks(lo, hi)
    x0, x1 = min(xv), max(xv)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    per_px = (yt[-1] - yt[0]) / (H - MT - MB)
    notes = [f"{a} and {b} coincide (drawn one over the other)"
             for a, b in coinciding(series, per_px)]
    h = H + 16 * len(notes)
    out = _svg_open(title, h)

    def xmap(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * (W - ML - MR)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / per_px

    _y_axis(out, yt, ymap, y_title, kind)
    _x_axis(out, xs, xv, numeric, xmap, x_title, h)
    for k, (name, s) in enumerate(series):
        _line(out, k, name, [(xmap(x), None if y is None or not math.isfinite(y) else ymap(y),
                              label, y) for x, y, label in zip(xv, s, xs, strict=True)],
              kind)
    _whatif_legend(out, [name for name, _ in series], lines=True)
    for i, note in enumerate(notes):
        out.append(f'<text x="{ML}" y="{H + 4 + 16 * i}" class="ax">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _line(out: list[str], k: int, name: str,
          points: Sequence[tuple[float, float | None, Any, float | None]], kind: str) -> None:
    """One series: its segments (broken where a point has no value) and its markers."""
    hue = color(k)
    dash, shape = LINE_STYLES[k % len(LINE_STYLES)]
    da = f' stroke-dasharray="{dash}"' if dash else ""
    runs: list[list[str]] = [[]]
    for x, y, label, value in points:
        if y is None or value is None:
            runs.append([])
            continue
        runs[-1].append(f"{x:.1f},{y:.1f}")
        tip = f"{name} at {value_text(label)}: {_value(value, kind)}"
        out.append(_marker(shape, x, y, hue, tip))
    for seg in runs:
        if len(seg) > 1:
            out.append(f'<polyline fill="none" stroke="{hue}" stroke-width="2"{da} '
                       f'points="{" ".join(seg)}"/>')


def _value(v: float, kind: str) -> str:
    """A value in a tooltip, in the axis's kind."""
    if kind == "usd":
        return usd_short(v)
    if kind == "share":
        return pct(v)
    return num_fixed(v)


def bar_chart(labels: Sequence[str], stacks: Sequence[tuple[str, Sequence[float | None]]],
              title: str, y_title: str, kind: str = "usd") -> str:
    """Stacked bars, one per label (a label without values is marked "no plan")."""
    W, H, ML, MR, MT, MB = WHATIF_BOX
    out = _svg_open(title, H)
    totals = []
    for i in range(len(labels)):
        vals = [s[i] for _, s in stacks]
        totals.append(None if any(v is None for v in vals)
                      else sum(max(0.0, float(v)) for v in vals if v is not None))
    have = [t for t in totals if t is not None]
    if not labels or not have:
        return _empty(out, H)
    yt = _nice_ticks(0.0, max(have) or 1.0)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / (yt[-1] - yt[0]) * (H - MT - MB)

    _y_axis(out, yt, ymap, y_title, kind)
    slot = (W - ML - MR) / len(labels)
    bw = min(60.0, slot * 0.7)
    for i, label in enumerate(labels):
        cx = ML + slot * (i + 0.5)
        out.append(f'<text x="{cx:.1f}" y="{H - MB + 16}" class="ax" text-anchor="middle">'
                   f'{escape(label[:16])}</text>')
        if totals[i] is None:
            out.append(f'<text x="{cx:.1f}" y="{H - MB - 6}" class="ax" '
                       f'text-anchor="middle" fill="{ALERT}">no plan</text>')
            continue
        acc = 0.0
        for k, (name, s) in enumerate(stacks):
            v = max(0.0, float(s[i] or 0.0))
            if v <= 0:
                continue
            y_top, y_bot = ymap(acc + v), ymap(acc)
            out.append(f'<rect x="{cx - bw / 2:.1f}" y="{y_top:.1f}" width="{bw:.1f}" '
                       f'height="{y_bot - y_top:.1f}" fill="{color(k)}" class="bar">'
                       f'<title>{escape(label)} {escape(name)}: {_value(v, kind)}</title>'
                       '</rect>')
            acc += v
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" class="axis"/>')
    if len(stacks) > 1:
        _whatif_legend(out, [name for name, _ in stacks])
    out.append("</svg>")
    return "\n".join(out)


#: a tornado chart's rows: px per row, and the left margin that holds the row labels
TORNADO_ROW_PX = 26
TORNADO_LABEL_PX = 230


def tornado_chart(labels: Sequence[str], low: Sequence[float | None],
                  high: Sequence[float | None], title: str, x_title: str,
                  low_name: str, high_name: str, kind: str = "usd") -> str:
    """A tornado: a row per label, in the order given (the caller ranks them, largest
    first), each with two bars from a centre line at 0: `low[i]`, what a result does when
    the figure is lowered, and `high[i]`, when it is raised (either may sit on either side
    of 0). A value of None (no plan) is marked "no plan". The what-if charts' width; the
    height grows with the rows."""
    W, _, _, MR, MT, MB = WHATIF_BOX
    ML = TORNADO_LABEL_PX
    n = len(labels)
    H = MT + MB + max(1, n) * TORNADO_ROW_PX
    out = _svg_open(title, H)
    vals = [float(v) for v in (*low, *high) if v is not None and math.isfinite(v)]
    if not n or not vals:
        return _empty(out, H, "nothing to chart")
    lo, hi = min(0.0, *vals), max(0.0, *vals)
    if hi - lo <= 0:
        lo, hi = -1.0, 1.0
    ticks = _nice_ticks(lo, hi)
    x0, x1 = ticks[0], ticks[-1]

    def xmap(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * (W - ML - MR)

    bottom = H - MB
    for t, text in zip(ticks, axis_labels(ticks, kind), strict=True):
        x = xmap(t)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" class="ax" text-anchor="middle">'
                   f'{escape(text)}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 12}" class="ax" '
               f'text-anchor="middle">{escape(x_title)}</text>')
    zero = xmap(0.0)
    bar_h = (TORNADO_ROW_PX - 8) / 2
    for i, label in enumerate(labels):
        y = MT + i * TORNADO_ROW_PX + 4
        out.append(f'<text x="{ML - 6}" y="{y + bar_h + 4:.1f}" class="ax" '
                   f'text-anchor="end">{escape(label[:36])}</text>')
        for k, (name, v) in enumerate(((low_name, low[i]), (high_name, high[i]))):
            yy = y + k * bar_h
            if v is None or not math.isfinite(v):
                out.append(f'<text x="{zero + 4:.1f}" y="{yy + bar_h - 1:.1f}" class="ax" '
                           f'fill="{ALERT}">no plan</text>')
                continue
            xa, xb = sorted((zero, xmap(float(v))))
            out.append(f'<rect x="{xa:.1f}" y="{yy:.1f}" width="{max(xb - xa, 0.5):.1f}" '
                       f'height="{bar_h:.1f}" fill="{color(k)}" class="bar">'
                       f'<title>{escape(label)} {escape(name)}: {_value(float(v), kind)}'
                       '</title></rect>')
    out.append(f'<line x1="{zero:.1f}" y1="{MT}" x2="{zero:.1f}" y2="{bottom}" '
               'class="axis"/>')
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
