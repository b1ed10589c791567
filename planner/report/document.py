"""The decision report as a structure: sections of text, tables and charts.

`planner.report.content.build` fills it from a plan folder; `planner.report.render` writes
it as Markdown or HTML. One structure feeds both, so the two say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    align: str = ""  # one char per column: l (text), r (figures) or w (long text)
    caption: str = ""


@dataclass
class Chart:
    svg: str
    caption: str
    data: Table  # the numbers behind the chart (Markdown shows this)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Links:
    """Links to other files, (label, relative path) each: a what-if page's plan reports."""

    items: list[tuple[str, str]]


#: a paragraph (its **bold** runs marked as in Markdown), a table, a chart, a list or links
Block = str | Table | Chart | Bullets | Links


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    headline: list[tuple[str, str]]  # (label, value) tiles
    sections: list[Section]
