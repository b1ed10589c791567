"""Number formatting shared by the terminal summaries and the reports."""

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


def usd(v: Any, digits: int = 3) -> str:
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
    """Prices per unit (USD per Mtok): four significant digits."""
    if not is_number(v):
        return "-"
    v = float(v)
    return f"${v:,.4g}" if abs(v) < 1000 else usd(v)


def num(v: Any) -> str:
    if not is_number(v):
        return "-"
    v = float(v)
    a = abs(v)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:,.3g}{suf}"
    return f"{v:,.4g}"


def pct(v: Any) -> str:
    return "-" if not is_number(v) else f"{float(v) * 100:.2f}%"
