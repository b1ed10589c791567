"""Files written whole or not at all, one run at a time, and what a killed run left.

A set of text files goes to a temporary folder beside the target first. A new output
folder appears by one rename, when every file is complete. Into an existing folder, each
file of the set replaces its old version; the old versions are kept aside until all the
new files are in place, and put back if anything fails, so a failed write leaves the
folder exactly as it was. Only the named files are ever replaced: anything else in the
folder (a user's notes, other tools' files) is never touched.

Faults (docs/reliability.md, "Nothing lost"): every write holds an exclusive lock on the
folder's parent (`folder_lock`, `flock(2)` on the directory itself, so no lock file is
left behind), so two runs into one folder take turns and the folder ends as the complete
output of one of them. Before the first file of an existing folder is replaced, a
`switching.json` marker is written into the temporary folder: a run killed during the
switch (`kill -9`, out of memory) leaves the temporary folder with the complete new set
and that marker, and the next planner command that writes or reads the folder (`settle`)
completes the switch. A temporary folder without the marker was killed before the switch
began and is removed, the folder untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.errors import InputError, Issue, OutputError


def check_target(out_dir: str | Path, names: Sequence[str]) -> None:
    """Refuse an output path the plan cannot be written to, before any work is done.

    Raises InputError (exit 2) when the path is an existing file, or when one of the
    planner's file names is taken by a folder inside it.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError([Issue(str(out), "", "exists and is not a folder; the plan is "
                                "written into a folder (choose another -o/--out)")])
    if out.is_dir():
        for name in names:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                raise InputError([Issue(str(target), "", "is a folder, but the planner "
                                        "writes a file of that name there; move it or "
                                        "choose another -o/--out")])


def _fsync_write(path: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):  # a binary file (plan.xlsx)
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
    try:  # POSIX only: the module does not exist on Windows
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


_written: list[Path] = []  # every file this process has written (`written_paths`)


def written_paths() -> list[Path]:
    """The files this process has written so far (complete sets only): what an
    interrupted command leaves behind."""
    return list(_written)


def write_files(out_dir: Path, files: Mapping[str, str | bytes],
                remove: Sequence[str] = ()) -> list[Path]:
    """Write files (text, or bytes for a binary file) into out_dir atomically as a set
    (temp folder, then rename).

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
    check_target(out_dir, list(files))
    try:
        with folder_lock(out_dir):
            settle(out_dir)
            paths = _write_locked(out_dir, files, remove)
            _written.extend(paths)
            return paths
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
