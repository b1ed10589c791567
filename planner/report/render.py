"""Render a `Report` as Markdown or as one self-contained, printable HTML file."""

from __future__ import annotations

import re
from html import escape

from planner.report.document import Block, Bullets, Chart, Links, Report, Table

CSS = """
:root { --ink:#1d2330; --mute:#5b6474; --line:#d9dee7; --bg:#f6f8fb; --accent:#4e79a7; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 0; background: #fff; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
.sub { color: var(--mute); margin: 0 0 18px; }
nav { font-size: .9rem; margin: 0 0 18px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr));
         gap: 10px; margin: 0 0 8px; }
.tile { background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
        padding: 10px 12px; }
.tile .k { color: var(--mute); font-size: .8rem; }
.tile .v { font-size: 1.3rem; font-weight: 650; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: .88rem; width: auto;
        max-width: 100%; }
caption { text-align: left; color: var(--mute); font-size: .85rem; padding: 0 0 4px;
          caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; vertical-align: top; }
th { background: var(--bg); text-align: left; font-weight: 600; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
td.r { white-space: nowrap; }
figure { margin: 10px 0 22px; page-break-inside: avoid; break-inside: avoid; }
figcaption { color: var(--mute); font-size: .85rem; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg .ct { font-size: 14px; font-weight: 600; fill: var(--ink); }
svg .ax, svg .lg { font-size: 11px; fill: var(--mute); }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .axis { stroke: #8a93a3; stroke-width: 1; }
.cols { display: flex; flex-wrap: wrap; gap: 0 36px; align-items: flex-start; }
details { margin: 0 0 10px; font-size: .85rem; }
ul { padding-left: 20px; }
.tw { max-width: 100%; overflow-x: auto; }
td.w { min-width: 14em; }
@media (max-width: 640px) {
  main { padding: 14px 12px 32px; }
  .tw table, .tw tbody, .tw tr, .tw td { display: block; width: 100%; }
  .tw thead { display: none; }
  .tw caption { display: block; }
  .tw tr { border-bottom: 2px solid var(--line); padding: 4px 0; }
  .tw td, .tw td.r { border: 0; padding: 2px 4px; text-align: right; white-space: normal;
                     min-width: 0; overflow-wrap: anywhere; }
  .tw td::before { content: attr(data-label); float: left; color: var(--mute);
                   padding-right: 10px; text-align: left; }
}
@media print {
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, figure, .tiles { page-break-inside: avoid; break-inside: avoid; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 14mm; }
}
"""



def _inline(text: str) -> str:
    """Escaped HTML of a report sentence; its **bold** runs (the one Markdown mark the
    report's sentences use) become <strong>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(text))

def _md_cell(v: str) -> str:
    return v.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> list[str]:
    out = []
    if t.caption:
        out += [f"*{t.caption}*", ""]
    align = t.align.ljust(len(t.header), "l")
    out.append("| " + " | ".join(_md_cell(h) for h in t.header) + " |")
    out.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    for r in t.rows:
        out.append("| " + " | ".join(_md_cell(c) for c in r) + " |")
    out.append("")
    return out


def to_markdown(rep: Report) -> str:
    out = [f"# {rep.title}", "", rep.subtitle, ""]
    out += [f"- **{k}**: {v}" for k, v in rep.headline]
    out.append("")
    for sec in rep.sections:
        out += [f"## {sec.title}", ""]
        for b in sec.blocks:
            if isinstance(b, str):
                out += [b, ""]
            elif isinstance(b, Bullets):
                out += [f"- {x}" for x in b.items] + [""]
            elif isinstance(b, Links):
                out += [f"- [{label}]({href})" for label, href in b.items] + [""]
            elif isinstance(b, Chart):
                out += [f"{b.caption} (chart in report.html)", ""]
                out += _md_table(b.data)
            else:
                out += _md_table(b)
    return "\n".join(out).rstrip() + "\n"


#: the class of a column by its `Table.align` letter: r right-aligned figures, w wide text
_ALIGN_CLASS = {"r": ' class="r"', "w": ' class="w"'}


def _html_table(t: Table) -> str:
    """A table in a frame that scrolls only if the table cannot fit; on a narrow screen
    each row reads as a card, every cell after its column's name (`data-label`)."""
    align = t.align.ljust(len(t.header), "l")
    cls = [_ALIGN_CLASS.get(a, "") for a in align]
    labels = [f' data-label="{escape(h)}"' for h in t.header]
    parts = ['<div class="tw"><table>']
    if t.caption:
        parts.append(f"<caption>{escape(t.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th{c}>{escape(h)}</th>"
                                         for h, c in zip(t.header, cls, strict=True))
                 + "</tr></thead><tbody>")
    for r in t.rows:
        parts.append("<tr>" + "".join(f"<td{c}{lb}>{escape(v)}</td>" for v, c, lb
                                      in zip(r, cls, labels, strict=False)) + "</tr>")
    parts.append("</tbody></table></div>")
    return "\n".join(parts)


def tiles_html(headline: list[tuple[str, str]]) -> str:
    """The headline tiles (label, value) as HTML."""
    tiles = "".join(f'<div class="tile"><div class="k">{escape(k)}</div>'
                    f'<div class="v">{escape(v)}</div></div>' for k, v in headline)
    return f'<div class="tiles">{tiles}</div>'


def block_html(b: Block) -> str:
    """One block of a section as HTML: a paragraph, a list, a chart (with the numbers
    behind it folded) or a table."""
    if isinstance(b, str):
        return f"<p>{_inline(b)}</p>"
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in b.items) + "</ul>"
    if isinstance(b, Links):
        return '<ul class="links">' + "".join(
            f'<li><a href="{escape(href)}">{escape(label)}</a></li>'
            for label, href in b.items) + "</ul>"
    if isinstance(b, Chart):
        return (f"<figure>{b.svg}<figcaption>{escape(b.caption)}</figcaption></figure>"
                f"<details><summary>the numbers</summary>{_html_table(b.data)}</details>")
    return _html_table(b)


def scoped_css(scope: str) -> str:
    """The report's style for a fragment inside another page (a notebook's output): each
    rule of `CSS` applies only inside the element of class `scope`; the rules of the page
    alone (its layout, navigation and print) are left out."""
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS.split("@media")[0]):
        kept = [_scoped(sel.strip(), scope) for sel in selectors.split(",")]
        if all(kept):
            rules.append(f"{', '.join(kept)} {{{body}}}")
    return "\n".join(rules)


def _scoped(selector: str, scope: str) -> str:
    """`selector` inside `.scope`; empty for the page's own layout."""
    if selector in (":root", "body"):
        return f".{scope}"
    if selector.split()[0].split(":")[0] in ("main", "nav", "h1", "h2"):
        return ""
    return f".{scope} {selector}"


def to_html(rep: Report) -> str:
    nav = " ".join(f'<a href="#{s.anchor}">{escape(s.title.split(":")[0])}</a>'
                   for s in rep.sections)
    body = [f"<h1>{escape(rep.title)}</h1>", f'<p class="sub">{escape(rep.subtitle)}</p>',
            f"<nav>{nav}</nav>", tiles_html(rep.headline)]
    for sec in rep.sections:
        body.append(f'<section id="{sec.anchor}"><h2>{escape(sec.title)}</h2>')
        if sec.anchor == "headline":
            body.append('<div class="cols">')
        body.extend(block_html(b) for b in sec.blocks)
        if sec.anchor == "headline":
            body.append("</div>")
        body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">\n"
            f"<title>{escape(rep.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            "<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")
