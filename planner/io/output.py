"""Write stage: plan files, written whole or not at all.

Files go to a temporary folder beside the target first. A new output folder appears by
one rename, when every file is complete. Into an existing folder, each file the planner
writes replaces its old version; the old versions are kept aside until all the new files
are in place, and put back if anything fails, so a failed write leaves the folder exactly
as it was. The planner only ever replaces the files it writes: anything else in the
folder (a user's notes, other tools' files) is never touched.

Faults (docs/reliability.md, "Nothing lost"): every write holds an exclusive lock on the
folder's parent (`folder_lock`, `flock(2)` on the directory itself, so no lock file is
left behind), so two runs into one folder take turns and the folder ends as the complete
output of one of them. Before the first file of an existing folder is replaced, a
`switching.json` marker is written into the temporary folder: a run killed during the
switch (`kill -9`, power cut of the process) leaves the temporary folder with the
complete new set and that marker, and the next planner command that writes or reads the
folder (`settle`) completes the switch. A temporary folder without the marker was killed
before the switch began and is removed, the folder untouched.

CSV floats are written in Python's shortest round-trip form (full precision, and the
same bytes for the same plan). Text cells that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with a
single quote, as the OWASP guidance on CSV injection says.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from planner.errors import InputError, Issue, OutputError


class Summary(Protocol):
    """A plan's summary (`planner.core.summary.PlanSummary`), as summary.json is written."""

    def to_json_dict(self) -> dict[str, Any]: ...


class PlanResult(Protocol):
    """A solved plan (`planner.core.solve.PlanResult`), as the plan files read it: this
    layer sits below the core, so it names only what it uses."""

    @property
    def tables(self) -> Any: ...

    @property
    def summary(self) -> Summary: ...


CSV_FILES = {
    "purchase_plan": "purchase_plan.csv",
    "fleet": "fleet.csv",
    "allocation": "allocation.csv",
    "service": "service.csv",
    "sites": "sites.csv",
    # C. refresh: only with options.allow_retirement
    "retirements": "retirements.csv",
    # F. cash flow: every plan
    "cashflow": "cashflow.csv",
}
#: F. the plan's tables in one workbook (`planner.io.workbook`), every plan
WORKBOOK_FILE = "plan.xlsx"

# OWASP "CSV Injection": cells starting with these are read as formulas by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_START = FORMULA_START  # kept for callers of the old name
__all__ = ["CSV_FILES", "FORMULA_START", "OutputError", "check_output_dir", "escape_text",
           "frame_to_csv", "plan_files", "summary_json", "unescape_text", "write_files",
           "write_plan", "WORKBOOK_FILE"]


def escape_text(text: str) -> str:
    """A text cell made safe for spreadsheets: a leading formula character is quoted.

    Text that itself starts with a quote gets one more, so `unescape_text` can always
    give the original back.
    """
    if text.startswith((*FORMULA_START, "'")) or text.lstrip(" ").startswith(FORMULA_START):
        return "'" + text
    return text


def unescape_text(text: str) -> str:
    """The original text of a cell written by `escape_text` (for tools reading CSVs back)."""
    if text.startswith("'"):
        return text[1:]
    return text


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "'-inf"
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    # Text (names, labels): spreadsheet safety, OWASP CSV injection. Numbers are written
    # by the branches above, so a negative number stays a number.
    return escape_text(str(v))


def frame_to_csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([escape_text(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        w.writerow([_cell(v.item() if hasattr(v, "item") else v) for v in row])
    return buf.getvalue()


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def summary_json(summary: Summary) -> str:
    """summary.json's text: two-space indents, NaN and infinity written as null."""
    return json.dumps(_clean(summary.to_json_dict()), indent=2, default=_json_default) + "\n"


def check_output_dir(out_dir: str | Path, names: list[str] | None = None) -> None:
    """Refuse an output path the plan cannot be written to, before any work is done.

    Raises InputError (exit 2) when the path is an existing file, or when one of the
    planner's file names is taken by a folder inside it.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError([Issue(str(out), "", "exists and is not a folder; the plan is "
                                "written into a folder (choose another -o/--out)")])
    if out.is_dir():
        for name in names if names is not None else [*CSV_FILES.values(), "summary.json",
                                                    WORKBOOK_FILE]:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                raise InputError([Issue(str(target), "", "is a folder, but the planner "
                                        "writes a file of that name there; move it or "
                                        "choose another -o/--out")])


def _fsync_write(path: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):
        with open(path, "wb") as bfh:
            bfh.write(text)
            bfh.flush()
            with contextlib.suppress(OSError):
                os.fsync(bfh.fileno())
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        with contextlib.suppress(OSError):
            os.fsync(fh.fileno())


#: the marker written into a temporary folder once its new files are complete, before the
#: first file of the target is replaced; it lists the files of the switch
SWITCH_MARKER = "switching.json"

_held: dict[str, list[Any]] = {}  # parent folder -> [open fd, depth]: one flock per process
_held_guard = threading.RLock()


@contextlib.contextmanager
def folder_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold the write lock of `out_dir`: an exclusive `flock` on its parent folder.

    Other planner processes writing into (or settling) any folder of that parent wait
    until it is released; the lock goes with the process if it dies. Re-entrant within a
    process (a report read and written under one lock). Where `fcntl` is missing
    (Windows), runs unlocked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks on folders
        yield
        return
    parent = Path(out_dir).resolve().parent
    key = str(parent)
    with _held_guard:
        entry = _held.get(key)
        if entry is None:
            parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(parent, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            entry = _held[key] = [fd, 0]
        entry[1] += 1
    try:
        yield
    finally:
        with _held_guard:
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                os.close(entry[0])  # closing the descriptor releases the flock


def _stranded(real: Path) -> list[Path]:
    """Temporary folders a killed run left beside `real` (`.NAME.tmp-*` holding only the
    planner's own `new`/`old` sub-folders and marker)."""
    ours = {"new", "old", SWITCH_MARKER, SWITCH_MARKER + ".part"}
    out = []
    with contextlib.suppress(OSError):
        for p in sorted(real.parent.glob(f".{glob_escape(real.name)}.tmp-*")):
            if p.is_dir() and not p.is_symlink() and {c.name for c in p.iterdir()} <= ours:
                out.append(p)
    return out


def glob_escape(name: str) -> str:
    """`name` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _finish_switch(tmp: Path, real: Path) -> None:
    """Complete an interrupted switch: move the rest of the new files in, remove the older
    report files the set replaces. Every new file was complete before the marker."""
    plan = json.loads((tmp / SWITCH_MARKER).read_text(encoding="utf-8"))
    for name in plan.get("remove", []):
        target = real / name
        if target.is_file() or target.is_symlink():
            os.unlink(target)
    for name in plan["names"]:
        src = tmp / "new" / name
        if src.is_file():
            target = real / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, target)


def settle(out_dir: str | Path) -> bool:
    """Finish or undo what a killed run left half-done at `out_dir`; True if anything was.

    Call with `folder_lock` held (`write_files` does; readers of a plan folder do).
    """
    real = Path(out_dir).resolve()
    found = False
    for tmp in _stranded(real):
        found = True
        if (tmp / SWITCH_MARKER).is_file() and real.is_dir():
            try:
                _finish_switch(tmp, real)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise OutputError(f"{out_dir}: a planner run was killed while replacing its "
                                  f"files, and completing it failed ({exc}); the new files "
                                  f"are in {tmp / 'new'}") from None
        shutil.rmtree(tmp, ignore_errors=True)
    return found


def write_files(out_dir: Path, files: Mapping[str, str | bytes],
                remove: Sequence[str] = ()) -> list[Path]:
    """Write text files into out_dir atomically as a set (temp folder, then rename).

    `remove`: names of files that belong to an older set and must not survive beside the
    new one (a report of an older plan); they are removed as part of the same set.
    On any failure the output folder is left exactly as it was (new files removed, old
    versions and removed files restored) and OutputError (or InputError for an unusable
    path) is raised. Only the named files are written, replaced or removed; nothing else
    in out_dir is touched.
    """
    out_dir = Path(out_dir)
    remove = [r for r in remove if r not in files]
    for name in [*files, *remove]:
        p = Path(name)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise ValueError(f"output file name {name!r} must be relative, inside the folder")
    check_output_dir(out_dir, list(files))
    try:
        with folder_lock(out_dir):
            settle(out_dir)
            return _write_locked(out_dir, files, remove)
    except OSError as exc:
        raise OutputError(f"cannot write the plan to {out_dir}: {exc.strerror or exc}") from None


def _write_locked(out_dir: Path, files: Mapping[str, str | bytes],
                  remove: Sequence[str]) -> list[Path]:
    """`write_files` with the folder's lock held."""
    try:
        real = out_dir.resolve()
        parent = real.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write the plan to {out_dir}: {exc.strerror or exc}") from None
    try:
        new = tmp / "new"
        new.mkdir()
        for name, text in files.items():
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            _fsync_write(new / name, text)
        if not real.exists():
            try:
                os.rename(new, real)  # the whole folder appears at once
                return [out_dir / name for name in files]
            except OSError:
                if not real.is_dir():  # not a race with another writer: a real failure
                    raise
        _fsync_write(tmp / (SWITCH_MARKER + ".part"),
                     json.dumps({"names": list(files), "remove": list(remove)}))
        os.replace(tmp / (SWITCH_MARKER + ".part"), tmp / SWITCH_MARKER)
        return _replace_into(real, out_dir, new, tmp / "old", list(files), remove)
    except OSError as exc:
        raise OutputError(f"cannot write the plan to {out_dir}: {exc.strerror or exc}; "
                          "the folder was left as it was") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_into(real: Path, out_dir: Path, new: Path, old: Path,
                  names: list[str], remove: Sequence[str] = ()) -> list[Path]:
    """Move new files over old ones and `remove` aside; on failure put every old file
    back."""
    old.mkdir()
    saved: list[str] = []  # old versions moved aside
    placed: list[str] = []  # new files moved in
    made: list[Path] = []  # sub-folders created for nested names
    try:
        for name in remove:
            target = real / name
            if target.is_file() or target.is_symlink():
                (old / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old / name)
                saved.append(name)
        for name in names:
            target = real / name
            for d in reversed(target.parents):
                if d != real and real in d.parents and not d.exists():
                    d.mkdir()
                    made.append(d)
            if target.exists() or target.is_symlink():
                (old / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old / name)
                saved.append(name)
            os.replace(new / name, target)
            placed.append(name)
    except BaseException:
        for name in placed:
            with contextlib.suppress(OSError):
                os.unlink(real / name)
        for name in saved:
            with contextlib.suppress(OSError):
                os.replace(old / name, real / name)
        for d in reversed(made):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    return [out_dir / name for name in names]


def plan_files(result: PlanResult) -> dict[str, str | bytes]:
    """The plan's files: a CSV per table it has, summary.json and plan.xlsx."""
    # XlsxWriter: imported here, so `planner --help` does not load it
    from planner.io.workbook import plan_workbook

    frames = result.tables.frames()
    files: dict[str, str | bytes] = {fname: frame_to_csv(frames[key])
                                     for key, fname in CSV_FILES.items() if key in frames}
    files["summary.json"] = summary_json(result.summary)
    files[WORKBOOK_FILE] = plan_workbook(
        {key: frames[key] for key in CSV_FILES if key in frames},
        _clean(result.summary.to_json_dict()))
    return files


#: Files `planner plan` writes after the plan (docs/report.md). A new plan removes older
#: ones in the same atomic set, so a folder never shows a report of another plan.
REPORT_SET = ("report.md", "report.html", "limits.csv", "marginal_values.csv",
              "baselines.csv")


def write_plan(result: PlanResult, out_dir: Path,
               extra: Mapping[str, str | bytes] | None = None) -> list[Path]:
    """The plan files (and `extra` files) as one set; any older report goes with it."""
    return write_files(out_dir, {**plan_files(result), **(extra or {})}, remove=REPORT_SET)
