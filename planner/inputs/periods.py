"""Planning periods: parse and format labels, hours per period.

A period label is a quarter ``YYYYQn``, a month ``YYYY-MM`` or a year ``YYYY``.
Internally a period is an ordinal (an int) in its granularity, so period arithmetic is
integer arithmetic.
"""

from __future__ import annotations

import re
from typing import Literal

Granularity = Literal["quarter", "month", "year"]

HOURS_PER_PERIOD: dict[str, int] = {"quarter": 2190, "month": 730, "year": 8760}
PERIODS_PER_YEAR: dict[str, int] = {"quarter": 4, "month": 12, "year": 1}

_PATTERNS: dict[str, re.Pattern[str]] = {
    "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "year": re.compile(r"^(\d{4})$"),
}

_EXAMPLES = {"quarter": "2027Q3", "month": "2027-07", "year": "2027"}


def detect_granularity(label: str) -> str | None:
    """The granularity a label is written in, or None if it parses as none."""
    text = str(label).strip()
    for gran, pat in _PATTERNS.items():
        if pat.match(text):
            return gran
    return None


def parse_period(label: object, granularity: str) -> int:
    """Ordinal of a period label in the given granularity.

    Raises ValueError with a readable message if the label is not of that granularity.
    """
    text = str(label).strip()
    pat = _PATTERNS[granularity]
    m = pat.match(text)
    if not m:
        raise ValueError(
            f"{text!r} is not a {granularity} period (expected e.g. {_EXAMPLES[granularity]})"
        )
    year = int(m.group(1))
    if granularity == "quarter":
        return year * 4 + int(m.group(2)) - 1
    if granularity == "month":
        return year * 12 + int(m.group(2)) - 1
    return year


def format_period(ordinal: int, granularity: str) -> str:
    """Label of a period ordinal."""
    if granularity == "quarter":
        return f"{ordinal // 4}Q{ordinal % 4 + 1}"
    if granularity == "month":
        return f"{ordinal // 12}-{ordinal % 12 + 1:02d}"
    return f"{ordinal}"


def period_labels(start: str, periods: int, granularity: str) -> list[str]:
    """The labels of a horizon, in order."""
    first = parse_period(start, granularity)
    return [format_period(first + i, granularity) for i in range(periods)]


MONTHS_PER_PERIOD: dict[str, int] = {"quarter": 3, "month": 1, "year": 12}


def month_span(label: object) -> tuple[int, int]:
    """(first, last) month ordinal (year * 12 + month - 1) a label of any granularity
    covers: `2027Q3` is July to September 2027, `2027` January to December.

    Raises ValueError if the label is no period.
    """
    gran = detect_granularity(str(label))
    if gran is None:
        raise ValueError(f"{str(label).strip()!r} is not a period (use a quarter 2027Q1, "
                         "a month 2027-01 or a year 2027)")
    size = MONTHS_PER_PERIOD[gran]
    first = parse_period(label, gran) * size
    return first, first + size - 1


def plan_period(label: object, granularity: str, edge: Literal["start", "end"]) -> int:
    """Ordinal, in the plan's `granularity`, of a label written in any granularity.

    A label in the plan's granularity is itself. Otherwise it is rounded inwards:
    `edge="start"` (a first period: `available_from`, a rent offer's `from`) gives the
    first plan period starting at or after the label's first month (`2027Q3` in a
    monthly plan is `2027-07`; `2027-08` in a quarterly plan is `2027Q4`);
    `edge="end"` (a last period: `retire_after`, `until`) gives the last plan period
    ending at or before the label's last month (`2027Q3` in a
    monthly plan is `2027-09`; `2027-08` in a quarterly plan is `2027Q2`). So a plan
    never counts on a hall, a unit or an offer outside the months it is there.

    Raises ValueError if the label is no period.
    """
    if detect_granularity(str(label)) == granularity:
        return parse_period(label, granularity)
    first, last = month_span(label)
    size = MONTHS_PER_PERIOD[granularity]
    if edge == "start":
        return -(-first // size)
    return (last + 1) // size - 1
