"""Faults while writing a plan folder: a run killed during the switch, two runs at once.

Each fault is produced for real, in a subprocess: `kill -9` of the writer at a chosen
step of the write (its `os.replace` / file writes patched to SIGKILL the process on the
N-th call), and two writers into one folder at the same time with a reader checking
every set it sees. docs/reliability.md ("Nothing lost") says what a reader may rely on.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.io.atomic import folder_lock, settle, write_files
from planner.report.folder import load_folder

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

NAMES = ["purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv", "sites.csv",
         "summary.json"]
REPORTS = ["report.md", "limits.csv"]


def _set(tag: str, report: bool = False) -> dict[str, str]:
    files = {n: f"{tag}\n" for n in NAMES}
    if report:
        files.update({n: f"{tag}\n" for n in REPORTS})
    return files


_KILLED = """\
import os, signal, sys
from pathlib import Path
import planner.io.atomic as out

target, step, where = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
calls = {"n": 0}

def counting(real):
    def wrapped(*a, **k):
        calls["n"] += 1
        if calls["n"] == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)
    return wrapped

if where == "replace":
    out.os.replace = counting(os.replace)  # the switch: old aside, new in
else:
    out._fsync_write = counting(out._fsync_write)  # the new files, before the switch
files = {n: "new\\n" for n in NAMES_}
out.write_files(target, files, remove=REPORTS_)
print("not killed")
""".replace("NAMES_", repr(NAMES)).replace("REPORTS_", repr(REPORTS))


def _old_folder(tmp_path: Path) -> Path:
    d = tmp_path / "plan"
    write_files(d, _set("old", report=True))
    (d / "my-notes.txt").write_text("mine\n")
    return d


def _kill_at(tmp_path: Path, d: Path, step: int, where: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    return subprocess.run([sys.executable, str(script), str(d), str(step), where],
                          capture_output=True, text=True, timeout=120)


def _contents(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.iterdir()) if p.is_file()}


# os.replace calls of a switch into an existing folder with 6 files and 2 older reports:
# the marker (1), 2 reports aside (2-3), then per file old aside + new in (4-15)
@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 8, 11, 15])
def test_kill_during_the_switch_is_completed_by_the_next_reader(tmp_path: Path,
                                                                step: int) -> None:
    d = _old_folder(tmp_path)
    res = _kill_at(tmp_path, d, step, "replace")
    assert res.returncode == -signal.SIGKILL, res
    stranded = list(tmp_path.glob(".plan.tmp-*"))
    assert len(stranded) == 1  # the killed run's temporary folder, for the next run
    with contextlib.suppress(InputError):  # these test files are not a real plan
        load_folder(d)  # `planner report DIR` reads through this path: it settles first
    after = _contents(d)
    assert after["my-notes.txt"] == "mine\n"  # never touched
    plan = {n: after.get(n) for n in NAMES}
    if step == 1:  # killed before the marker was in place: nothing had been switched
        assert set(plan.values()) == {"old\n"}
        assert all(after.get(n) == "old\n" for n in REPORTS)
    else:  # killed mid-switch: the complete new set, the older reports gone with it
        assert set(plan.values()) == {"new\n"}
        assert not any(n in after for n in REPORTS)
    assert not list(tmp_path.glob(".plan.tmp-*"))


@pytest.mark.parametrize("step", [1, 3, 6])
def test_kill_while_writing_the_new_files_leaves_the_folder_as_it_was(tmp_path: Path,
                                                                     step: int) -> None:
    d = _old_folder(tmp_path)
    before = _contents(d)
    res = _kill_at(tmp_path, d, step, "write")
    assert res.returncode == -signal.SIGKILL, res
    assert _contents(d) == before  # the folder was never touched
    write_files(d, {"summary.json": "next\n"})  # the next run removes the leftovers
    assert not list(tmp_path.glob(".plan.tmp-*"))
    assert _contents(d)["fleet.csv"] == "old\n"


def test_kill_while_creating_a_new_folder_leaves_no_folder(tmp_path: Path) -> None:
    d = tmp_path / "plan"
    res = _kill_at(tmp_path, d, 3, "write")
    assert res.returncode == -signal.SIGKILL, res
    assert not d.exists()
    assert settle(d)  # a stranded temporary folder was there, and is removed
    assert not list(tmp_path.glob(".plan.tmp-*"))


def test_settle_leaves_folders_it_did_not_make(tmp_path: Path) -> None:
    d = _old_folder(tmp_path)
    other = tmp_path / ".plan.tmp-mine"
    other.mkdir()
    (other / "data.txt").write_text("a user's folder that happens to match the pattern\n")
    assert not settle(d)
    assert (other / "data.txt").exists()


_WRITER = """\
import os, sys, time
from pathlib import Path
import planner.io.atomic as out

real = os.replace
def slow(*a, **k):  # widen the window between the files of one set
    time.sleep(0.002)
    return real(*a, **k)
out.os.replace = slow
target, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    out.write_files(target, {name: f"{tag}-{i}\\n" for name in NAMES_})
""".replace("NAMES_", repr(NAMES))


def test_two_concurrent_runs_never_mix_a_folder(tmp_path: Path) -> None:
    """Two writers into one existing folder, and a reader (as `planner report` reads)
    checking each set it sees: every set read is one write's files, never a mix."""
    d = tmp_path / "plan"
    write_files(d, {n: "start\n" for n in NAMES})
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    procs = [subprocess.Popen([sys.executable, str(script), str(d), tag, "25"])
             for tag in ("a", "b")]
    seen = set()
    try:
        while any(p.poll() is None for p in procs):
            with folder_lock(d):
                settle(d)
                texts = {n: (d / n).read_text() for n in NAMES}
            assert len(set(texts.values())) == 1, texts
            seen.add(texts[NAMES[0]])
            time.sleep(0.001)
    finally:
        for p in procs:
            p.wait(timeout=120)
    assert all(p.returncode == 0 for p in procs)
    final = {n: (d / n).read_text() for n in NAMES}
    assert len(set(final.values())) == 1
    assert final[NAMES[0]] in {"a-24\n", "b-24\n"}
    assert len(seen) > 1  # the reader did see the folder change while it ran


def test_the_marker_names_the_set(tmp_path: Path) -> None:
    """What a killed switch leaves is documented: the complete new files and a marker
    listing them (docs/reliability.md)."""
    d = _old_folder(tmp_path)
    _kill_at(tmp_path, d, 4, "replace")
    (tmp,) = tmp_path.glob(".plan.tmp-*")
    marker = json.loads((tmp / "switching.json").read_text())
    assert marker["names"] == NAMES and marker["remove"] == REPORTS
    assert os.listdir(tmp / "new")  # the files still to move in
