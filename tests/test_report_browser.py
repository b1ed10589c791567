"""report.html as a person sees it: opened in headless Chromium (Debian's `chromium`).

Checks the page loads without console messages (the page has no script, so any console
line is a fault: a blocked resource, a CSP violation, an error), that the DOM holds the
SVG charts with their bars, and saves a screenshot into the test's tmp folder, checked
to be a real 1280x2000 PNG with varied pixels. Skips cleanly when Chromium is absent
(.ci/run installs it).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.conftest import make_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium(args: list[str], tmp: Path, name: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr). Output goes through files, not pipes: Chromium's
    helper processes may outlive it holding a pipe open, which would stall the test."""
    assert CHROMIUM is not None
    profile = tmp / f"profile-{name}"
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    with out.open("w") as fo, err.open("w") as fe:
        rc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                            stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                            timeout=120).returncode
    return rc, out.read_text(errors="replace"), err.read_text(errors="replace")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    path = make_scenario(tmp / "sc", scenario={
        "sites": [{"name": "hall-a", "power_mw": 0.1}, {"name": "hall-b", "power_mw": 0.05}]},
        demand=[("2027Q1", "m1", 16000.0, 10.0), ("2027Q2", "m1", 48000.0, 10.0),
                ("2027Q3", "m1", 72000.0, 10.0), ("2027Q4", "m1", 96000.0, 10.0)])
    out = tmp / "plan"
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out / "report.html"


def test_loads_without_console_errors_and_shows_charts(report_html: Path,
                                                       tmp_path: Path) -> None:
    rc, dom, err = _chromium(["--enable-logging=stderr", "--v=0", "--dump-dom",
                              report_html.resolve().as_uri()], tmp_path, "dom")
    assert rc == 0, err[-2000:]
    console = [ln for ln in err.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    assert "<h1>Capacity plan: test</h1>" in dom
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", dom, flags=re.S)
    # fleet mix + power for each of the two halls + demand for the one model + cash flow
    assert len(svgs) == 5
    for s in svgs:
        assert "<rect" in s and "<title>" in s
    assert "Power used against the cap: hall-b" in dom


def _png_info(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the decoded image data)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    return w, h, len(set(raw))


def test_screenshot(report_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    rc, _, err = _chromium([f"--screenshot={shot}", "--window-size=1280,2000",
                            "--hide-scrollbars", report_html.resolve().as_uri()], tmp_path,
                           "shot")
    assert rc == 0, err[-2000:]
    data = shot.read_bytes()
    assert len(data) > 20_000
    w, h, distinct = _png_info(data)
    assert (w, h) == (1280, 2000)
    assert distinct > 50  # text, tables and coloured bars, not a blank page
