"""Every page the planner writes, as a person sees it: in headless Chromium.

The pages: a plan's report.html, and the what-if pages comparison.html (with a plan
report per variant, ``--reports``), sweep.html, new_hall.html and sensitivity.html. Each
is opened at 1300 px wide (a laptop) and at 390 x 844 (a phone) through the Chrome
DevTools Protocol (`tests.browser`: Debian's `chromium`, no driver, no extra package)
and checked for:

- no console message, exception or log entry (the pages have no script, so any is a
  fault: a blocked resource, a CSP violation);
- no horizontal overflow: the page does not scroll sideways, and every table (those
  behind "the numbers" opened too) fits the screen without scrolling its frame;
- distinct axis labels: on every chart axis no two tick labels read the same;
- no scientific notation (``3.672e+06``) in the text, and column headers in words,
  not snake_case.

Screenshots of every page at both sizes are saved as CI artifacts in
``artifacts/screenshots/`` (at the repository's root, gitignored; set
``PLANNER_SCREENSHOTS`` to put them elsewhere), named ``<page>-<width>x<height>.png``.
The tests skip when Chromium is absent (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.browser import CHROMIUM, Browser
from tests.conftest import GROWING, TIGHT, make_scenario

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

SHOTS = Path(os.environ.get("PLANNER_SCREENSHOTS")
             or Path(__file__).resolve().parent.parent / "artifacts" / "screenshots")
VIEWPORTS = {"1300px": (1300, 900, False), "phone": (390, 844, True)}


def _run(*args: str) -> None:
    res = CliRunner().invoke(app, [*args, "-q"])
    assert res.exit_code == 0, res.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page the planner writes, from small scenarios (a few seconds of plans)."""
    tmp = tmp_path_factory.mktemp("pages")
    plan_sc = make_scenario(tmp / "plan", scenario={
        "sites": [{"name": "hall-a", "power_mw": 0.1}, {"name": "hall-b", "power_mw": 0.05}]},
        demand=[("2027Q1", "m1", 16000.0, 10.0), ("2027Q2", "m1", 48000.0, 10.0),
                ("2027Q3", "m1", 72000.0, 10.0), ("2027Q4", "m1", 96000.0, 10.0)])
    _run("plan", str(plan_sc), "-o", str(tmp / "plan-out"))
    sc = make_scenario(tmp / "tight", scenario=TIGHT, demand=GROWING)
    dear = tmp / "dear.yaml"
    dear.write_text("sites:\n  - name: hall-a\n    electricity_usd_per_mwh: 160\n")
    _run("compare", str(sc), "--what-if", str(dear), "-o", str(tmp / "cmp"), "-j", "1",
         "--reports")
    _run("sweep", str(sc), "--vary", "sites.hall-a.power_mw=0.03:0.07:0.01", "-o",
         str(tmp / "sweep"), "-j", "1")
    _run("new-hall", str(sc), "--site", "hall-b", "--sensitivity", "--sizes", "0.02,0.04",
         "--open", "2027Q1,2027Q3", "-o", str(tmp / "nh"), "-j", "1")
    _run("sensitivity", str(sc), "-o", str(tmp / "sens"), "-j", "1", "--candidates", "1")
    return {"report": tmp / "plan-out" / "report.html",
            "comparison": tmp / "cmp" / "comparison.html",
            "variant-report": tmp / "cmp" / "dear" / "report.html",
            "sweep": tmp / "sweep" / "sweep.html",
            "new-hall": tmp / "nh" / "new_hall.html",
            "sensitivity": tmp / "sens" / "sensitivity.html"}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with Browser(tmp_path_factory.mktemp("chromium") / "profile") as b:
        yield b


#: per table: how far it reaches past the screen's right edge, and how far its frame
#: would scroll (both 0 when it fits); every <details> opened first
OVERFLOW_JS = """(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const w = document.documentElement.clientWidth;
  const page = document.documentElement.scrollWidth - w;
  const tables = Array.from(document.querySelectorAll('table')).map(t => {
    const frame = t.parentElement;
    return [t.querySelector('caption, th') ? t.querySelector('caption, th').textContent : '',
            Math.round(t.getBoundingClientRect().right - w),
            frame.scrollWidth - frame.clientWidth];
  });
  return {page, tables};
})()"""

#: the text of every chart axis label, grouped by axis: the labels right-aligned at one
#: x (a y axis, a tornado's rows) and those centred at one y (an x axis)
AXES_JS = """Array.from(document.querySelectorAll('svg')).map(svg => {
  const groups = {};
  svg.querySelectorAll('text').forEach(t => {
    const a = t.getAttribute('text-anchor');
    if (t.getAttribute('transform')) return;
    const key = a === 'end' ? 'y@' + t.getAttribute('x')
              : a === 'middle' ? 'x@' + t.getAttribute('y') : null;
    if (key) (groups[key] = groups[key] || []).push(t.textContent);
  });
  return [svg.getAttribute('aria-label'), Object.values(groups)];
})"""


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page", ["report", "comparison", "variant-report", "sweep",
                                  "new-hall", "sensitivity"])
def test_page_in_chromium(pages: dict[str, Path], browser: Browser, page: str,
                          viewport: str) -> None:
    width, height, mobile = VIEWPORTS[viewport]
    browser.open(pages[page], width, height, mobile)
    assert browser.messages() == []
    assert browser.eval("document.querySelectorAll('svg').length") >= 1

    fit = browser.eval(OVERFLOW_JS)
    assert fit["page"] <= 0, f"{page} scrolls sideways by {fit['page']} px"
    wide = [t for t in fit["tables"] if t[1] > 0 or t[2] > 0]
    assert fit["tables"] and wide == [], wide

    for title, axes in browser.eval(AXES_JS):
        assert any(len(labels) > 1 for labels in axes), title  # ticks found
        for labels in axes:
            assert len(labels) == len(set(labels)), (title, labels)

    text = browser.eval("document.body.innerText")
    assert not re.search(r"\d[eE][+-]?\d", text), re.findall(r"\S*\d[eE][+-]?\d\S*", text)
    headers = browser.eval("Array.from(document.querySelectorAll('th'))"
                           ".map(t => t.textContent)")
    assert [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)] == []

    data = browser.screenshot(SHOTS / f"{page}-{width}x{height}.png")
    w, h = _png_size(data)
    assert w == width and h >= height // 2


def test_comparison_links_every_variant_report(pages: dict[str, Path]) -> None:
    """--reports: the comparison page links a report per plan, and each link resolves."""
    html = pages["comparison"].read_text()
    links = re.findall(r'href="([^"#]+)"', html)
    assert links == ["base/report.html", "dear/report.html"]
    for link in links:
        assert (pages["comparison"].parent / link).is_file()
