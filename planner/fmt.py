"""Number formatting: every money figure, count and share the planner prints.

The one place for how numbers read. Each style below is used where the planner prints
that kind of figure; where two places print the same dollars differently (the report's
``$12,345`` and a what-if table's ``$12.3K``), the difference is a named style here, not
a private copy. What each function prints for a missing value is part of its style:
``-`` for None (and, where the docstring says so, for NaN and infinity).

Money (USD):

- `usd`: plan totals in the report and the terminal: ``$1.234B``, ``$12.35M``,
  ``$12,345``, ``$123.45``;
- `usd_small`: prices per unit (USD per Mtok): ``$4.198``, four significant digits;
- `usd_short`: what-if tables and headlines: ``$1.234B``, ``$12.35M``, ``$12.3K``,
  ``-$1.20K`` (the sign before the dollar);
- `usd_signed`: a what-if change: ``+$120.00M``, ``-$1.20M``;
- `usd_cents`: the seed table of `planner cost`: ``$4.20``, ``$0.022``;
- `usd_fixed`, `usd_sig`: a fixed number of decimals or of significant digits.

Counts and quantities: `num` (``1.23M``, ``54.1k``), `num_fixed` (``1.23M``, ``54.10K``),
`num_seed` (``54K``, ``2.86M``), `fixed` (``1,234``), `sig` (``1,235``), `sig_plain`
(``3,672,000``: never scientific), `tick` (a chart's
bar value); `axis_labels`: a chart axis's tick labels, their decimals chosen from the tick
step so that neighbouring ticks never read the same. Shares: `pct` (``12.34%``),
`pct_down` (rounded down, so only all of it is 100%).
"""

from __future__ import annotations

import math
from typing import Any


def finite(v: Any) -> float | None:
    """`v` as a finite float, or None (missing, not a number, NaN, infinite, or HiGHS's
    infinity of 1e300 and more)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) and abs(f) < 1e300 else None


def is_number(v: Any) -> bool:
    """A value to print: not None, not NaN or infinite."""
    return finite(v) is not None


# --------------------------------------------------------------------------- money


def usd(v: Any, digits: int = 3) -> str:
    """Plan totals: billions with `digits` decimals (``$1.234B``), millions with one
    fewer (at least two: ``$12.35M``), thousands as whole dollars (``$12,345``), below
    that cents (``$123.45``). A negative amount reads ``$-1,234``; ``-`` when `v` is no
    number (`is_number`)."""
    if not is_number(v):
        return "-"
    v = float(v)
    a = abs(v)
    if a >= 1e9:
        return f"${v / 1e9:,.{digits}f}B"
    if a >= 1e6:
        return f"${v / 1e6:,.{max(2, digits - 1)}f}M"
    if a >= 1e3:
        return f"${v:,.0f}"
    return f"${v:,.2f}"


def usd_small(v: Any) -> str:
    """Prices per unit (USD per Mtok): four significant digits below $1,000 (``$4.198``),
    `usd` above; ``-`` when `v` is no number."""
    if not is_number(v):
        return "-"
    v = float(v)
    return f"${v:,.4g}" if abs(v) < 1000 else usd(v)


def usd_short(v: float | None) -> str:
    """What-if tables and headlines: ``$1.234B``, ``$12.35M``, ``$12.3K`` (thousands with
    one decimal), ``$123.45``; the sign before the dollar (``-$1.20K``), and none for
    amounts that round to zero cents. ``-`` for None, NaN or infinity."""
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


def usd_signed(v: float | None) -> str:
    """A change of money in `usd_short` style with its sign: ``+$120.00M``, ``-$1.20M``;
    ``$0.00`` for no change, ``-`` for None, NaN or infinity."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    text = usd_short(v)
    return "+" + text if v > 0 and text != "$0.00" else text


def usd_cents(v: float) -> str:
    """The seed table's prices: two decimals (``$4.20``, ``$0.12``), three below ten cents
    (``$0.022``); ``-`` for NaN or infinity."""
    if not math.isfinite(v):
        return "-"
    return f"${v:.2f}" if abs(v) >= 0.1 else f"${v:.3f}"


def usd_fixed(v: float | None, decimals: int, *, grouping: bool = True) -> str:
    """``$`` and exactly `decimals` decimals (``$1,234.5678`` for 4), thousands separated
    unless `grouping` is False; ``-`` for None (NaN prints as ``$nan``)."""
    if v is None:
        return "-"
    return f"${v:,.{decimals}f}" if grouping else f"${v:.{decimals}f}"


def usd_sig(v: float | None, digits: int, *, grouping: bool = True) -> str:
    """``$`` and `digits` significant digits (``$1,235`` or ``$0.1227`` for 4), thousands
    separated unless `grouping` is False; ``-`` for None."""
    if v is None:
        return "-"
    return "$" + sig(v, digits, grouping=grouping)


# --------------------------------------------------------------------------- counts


def num(v: Any) -> str:
    """Counts and rates in the report and the terminal: three significant digits with an
    SI suffix from a thousand on (``54.1k``, ``1.23M``, ``4.5T``), four below
    (``123.4``); ``-`` when `v` is no number (`is_number`)."""
    if not is_number(v):
        return "-"
    v = float(v)
    a = abs(v)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:,.3g}{suf}"
    return f"{v:,.4g}"


def num_fixed(v: float | None, digits: int = 2) -> str:
    """Counts in what-if tables: `digits` decimals with an SI suffix from a thousand on
    (``54.10K``, ``1.23M``), the same decimals below (``123.00``); ``-`` for None, NaN or
    infinity."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    a = abs(v)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:,.{digits}f}{suf}"
    return f"{v:,.{digits}f}"


def num_seed(v: float) -> str:
    """The seed table's style: ``2.86M``, ``1.50B``, ``54K`` (whole thousands from ten
    thousand on), ``5.4K``, ``93.3``, ``1.41``; ``-`` for NaN or infinity."""
    if not math.isfinite(v):
        return "-"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f}B"
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}K"
    if a >= 1e3:
        return f"{v / 1e3:.1f}K"
    return f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def fixed(v: float | None, digits: int = 0) -> str:
    """Exactly `digits` decimals, thousands separated (``1,234``, ``0.75``); ``-`` for
    None."""
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def sig(v: float, digits: int, *, grouping: bool = True) -> str:
    """`digits` significant digits (``1,235``, ``0.1227``, ``1.234e+07`` for 4),
    thousands separated unless `grouping` is False."""
    return f"{v:,.{digits}g}" if grouping else f"{v:.{digits}g}"


def sig_plain(v: float, digits: int = 4) -> str:
    """`digits` significant digits, thousands separated, never in scientific notation:
    ``3,672,000``, ``12.35``, ``0.1227``; ``-`` for NaN or infinity."""
    if not math.isfinite(v):
        return "-"
    if v == 0:
        return "0"
    places = digits - 1 - math.floor(math.log10(abs(v)))
    return f"{round(v, places):,.{max(0, places)}f}"


def tick(v: float) -> str:
    """A chart's bar value (a tooltip): three significant digits with an SI suffix
    from a thousand on (``54.1k``, ``1.2M``), no thousands separator."""
    a = abs(v)
    for div, suf in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suf}"
    return f"{v:.3g}"


#: `axis_labels` kinds: the scales (divisor, suffix) of each, largest first
_AXIS_SCALES = {
    "num": ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")),
    "usd": ((1e9, "B"), (1e6, "M"), (1e3, "K")),
    "share": (),
}


def axis_labels(ticks: list[float], kind: str = "num") -> list[str]:
    """The labels of a chart axis's evenly spaced ticks, all in one scale and with one
    number of decimals: the fewest that write every tick exactly, so the decimals follow
    the tick step (ticks 0.1080, 0.1085, 0.1090 read ``$0.1080``, ``$0.1085``,
    ``$0.1090``, never ``$0.109`` twice) and never scientific notation.

    `kind`: ``num`` (SI suffix from a thousand on: ``250k``, ``1.5M``), ``usd`` (``$``,
    the suffixes of `usd_short`: ``$117.5M``, ``-$2.5K``) or ``share`` (a share as
    percent: ``12.5%``)."""
    if not ticks:
        return []
    top = max(abs(t) for t in ticks)
    div, suffix = 1.0, ""
    for d, suf in _AXIS_SCALES[kind]:
        if top >= d:
            div, suffix = d, suf
            break
    if kind == "share":
        div, suffix = 0.01, "%"
    scaled = [t / div for t in ticks]
    steps = [abs(b - a) for a, b in zip(scaled, scaled[1:], strict=False) if b != a]
    tol = 1e-6 * (min(steps) if steps else max(1.0, abs(scaled[0])))
    decimals = next((d for d in range(13)
                     if all(abs(round(v, d) - v) <= tol for v in scaled)), 12)
    out = []
    for v in scaled:
        text = f"{abs(v):,.{decimals}f}{suffix}" if v else "0" + suffix * (kind == "share")
        neg = v < 0 and text.strip("0.,%" + suffix) != ""
        out.append(("-" if neg else "") + ("$" if kind == "usd" else "") + text)
    return out


# --------------------------------------------------------------------------- shares


def pct(v: Any) -> str:
    """A share as a percentage with two decimals (0.1234 -> ``12.34%``); ``-`` when `v`
    is no number."""
    return "-" if not is_number(v) else f"{float(v) * 100:.2f}%"


def pct_down(share: float, digits: int = 2) -> str:
    """A share as a percentage with `digits` decimals rounded down, so only all of it
    reads 100% (0.99999 -> ``99.99%``)."""
    k = 10 ** (digits + 2)
    return f"{math.floor(share * k) / 10 ** digits:.{digits}f}%"
