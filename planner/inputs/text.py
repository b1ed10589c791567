"""Read an input file as text, refusing what is not a UTF-8 text file of sensible size.

Every refusal is one `InputError` issue that says why in the user's terms: not found, a
folder, too large, UTF-16, an Excel workbook or a PDF, NUL bytes, not UTF-8.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import InputError, Issue

MAX_INPUT_BYTES = 20 * 1024 * 1024  # demand CSVs; no input file is this large

_BINARY_KINDS = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook (.xlsx); export the sheet as "
                    "CSV UTF-8, or save YAML as plain text"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls/.doc); export it as CSV UTF-8"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file; decompress it first"),
)


def read_text(path: Path, label: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Text of an input file, or an InputError (one line) that says why it cannot be read."""
    name = label or str(path)
    data = _read_bytes(path, name, max_bytes)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Issue(name, "", "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in "
                                "a spreadsheet) and try again")])
    for magic, what in _BINARY_KINDS:
        if data.startswith(magic):
            raise InputError([Issue(name, "", f"not a text file: {what}")])
    if b"\x00" in data:
        raise InputError([Issue(name, "", "not a text file (contains NUL bytes); expected "
                                "UTF-8 text")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Issue(name, "", f"not a UTF-8 text file (invalid byte at offset "
                                f"{exc.start}); save it as UTF-8")]) from None


def _read_bytes(path: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`."""
    try:
        if not path.exists():
            raise InputError([Issue(name, "", "file not found")])
        if path.is_dir():
            raise InputError([Issue(name, "", "is a folder, expected a file")])
        if not path.is_file():
            raise InputError([Issue(name, "", "is not a regular file")])
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                [Issue(name, "", f"file is {size} bytes, too large to be an input "
                       f"(limit {max_bytes} bytes)")]
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise InputError([Issue(name, "", f"not a usable path: {exc}")]) from None
    if len(data) > max_bytes:
        raise InputError([Issue(name, "", f"file is too large to be an input "
                                f"(limit {max_bytes} bytes)")])
    return data
