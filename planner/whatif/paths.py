"""Scenario paths: ``sites.hall-b.power_mw``, and ``--set PATH=VALUE``.

Paths (``remove:``, ``--set``, ``--vary``) are dot-separated keys. In a list of named
entries (``sites``) a segment is an entry's ``name``; ``[n]`` picks the n-th item of any list
(0-based); ``[name]`` or ``["a.b"]`` picks a named entry whose name has dots. Examples:
``sites.hall-b.power_mw``, ``sites.hall-a.existing[0]``, ``options.target_utilization``,
``budget.total_capex_usd``.

``--set PATH=VALUE`` parses VALUE as YAML (``40`` a number, ``2028Q1`` a period, ``null``,
``[a, b]`` a list). Setting a field of a site that does not exist creates that site (a
new hall must then get its ``power_mw``). Setting a missing key creates it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from planner.errors import InputError, Issue

SET_SOURCE = "--set"

Token = tuple[str, Any]  # ("key", str) | ("index", int) | ("name", str)

_SEGMENT = re.compile(r"""\[\s*(?:(-?\d+)|"([^"]*)"|'([^']*)'|([^\]]*?))\s*\]""")


def parse_path(path: str, source: str = SET_SOURCE) -> list[Token]:
    """Tokens of a path such as ``sites.hall-a.existing[0]`` or ``sites["a.b"].pue``."""
    text = path.strip()
    if not text:
        raise InputError([Issue(source, "", "empty path")])
    tokens: list[Token] = []
    i = 0
    expect_key = True
    while i < len(text):
        ch = text[i]
        if ch == "[":
            m = _SEGMENT.match(text, i)
            if not m:
                raise InputError([Issue(source, path, "unclosed '[' in path")])
            if m.group(1) is not None:
                tokens.append(("index", int(m.group(1))))
            else:
                name = next(g for g in m.groups()[1:] if g is not None)
                if not name:
                    raise InputError([Issue(source, path, "empty [] in path")])
                tokens.append(("name", name))
            i = m.end()
            expect_key = False
        elif ch == ".":
            if expect_key:
                raise InputError([Issue(source, path, "empty segment in path")])
            i += 1
            expect_key = True
        else:
            j = i
            while j < len(text) and text[j] not in ".[":
                j += 1
            if not expect_key:
                raise InputError([Issue(source, path, "expected '.' or '[' in path")])
            tokens.append(("key", text[i:j].strip()))
            i = j
            expect_key = False
    if expect_key:
        raise InputError([Issue(source, path, "path ends with '.'")])
    return tokens


def named_index(items: list[Any], name: str) -> int | None:
    """The index of the entry named `name` in a list of named entries, or None."""
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == name:
            return i
    return None


def _step(node: Any, tok: Token, path: str, source: str, create: bool) -> tuple[Any, Any]:
    """The child of `node` that `tok` addresses, and the key/index it sits at."""
    kind, val = tok
    if isinstance(node, dict):
        if kind == "index":
            what = "nothing" if not node else "a mapping"
            raise InputError([Issue(source, path, f"[{val}] indexes a list, but there is "
                                    f"{what} there")])
        key = str(val)
        if key not in node:
            if not create:
                raise InputError([Issue(source, path, f"no key {key!r} there")])
            node[key] = {}
        return node[key], key
    if isinstance(node, list):
        if kind == "index":
            idx = int(val)
            if not -len(node) <= idx < len(node):
                raise InputError([Issue(source, path, f"index [{idx}] is out of range "
                                        f"(the list has {len(node)} items)")])
            return node[idx], idx
        name = str(val)
        idx_found = named_index(node, name)
        if idx_found is None:
            if node and not all(isinstance(x, dict) and "name" in x for x in node):
                raise InputError([Issue(source, path, f"{name!r}: this list has no named "
                                        "entries; use [n] to pick an item")])
            if not create:
                names = [str(x.get("name")) for x in node if isinstance(x, dict)]
                raise InputError([Issue(source, path, f"no entry named {name!r} (have: "
                                        f"{', '.join(names) or 'none'})")])
            node.append({"name": name})
            idx_found = len(node) - 1
        return node[idx_found], idx_found
    raise InputError([Issue(source, path, f"cannot go inside a {type(node).__name__} value")])


def set_path(doc: dict[str, Any], path: str, value: Any, source: str = SET_SOURCE) -> None:
    """Set `path` in a scenario dict to `value` (creating missing keys and named sites)."""
    tokens = parse_path(path, source)
    node: Any = doc
    for tok in tokens[:-1]:
        node, _ = _step(node, tok, path, source, create=True)
    kind, val = tokens[-1]
    value = copy.deepcopy(value)
    if isinstance(node, dict):
        if kind == "index":
            raise InputError([Issue(source, path, f"[{val}] indexes a list, but this is a "
                                    "mapping")])
        node[str(val)] = value
        return
    if isinstance(node, list):
        if kind == "index":
            _, idx = _step(node, tokens[-1], path, source, create=False)
            node[idx] = value
            return
        name = str(val)
        if isinstance(value, dict) and str(value.setdefault("name", name)) != name:
            raise InputError([Issue(source, path, f"the value names {value['name']!r}, "
                                    f"the path {name!r}")])
        idx_found = named_index(node, name)
        if idx_found is None:
            node.append(value)
        else:
            node[idx_found] = value
        return
    raise InputError([Issue(source, path, f"cannot set inside a {type(node).__name__} value")])


def remove_path(doc: dict[str, Any], path: str, source: str) -> None:
    """Drop the entry `path` addresses (a key, a list item, a named site)."""
    tokens = parse_path(path, source)
    node: Any = doc
    for tok in tokens[:-1]:
        node, _ = _step(node, tok, path, source, create=False)
    _, where = _step(node, tokens[-1], path, source, create=False)
    del node[where]


def get_path(doc: dict[str, Any], path: str, source: str = SET_SOURCE) -> Any:
    """The value at `path` (raises InputError if there is none)."""
    node: Any = doc
    for tok in parse_path(path, source):
        node, _ = _step(node, tok, path, source, create=False)
    return node


def parse_value(text: str, source: str = SET_SOURCE, where: str = "") -> Any:
    """A command-line value read as YAML (numbers, periods as text, null, lists)."""
    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise InputError([Issue(source, where, f"value {text!r} is not valid YAML: "
                                f"{getattr(exc, 'problem', None) or exc}")]) from None


def parse_set(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` -> (path, YAML-parsed value)."""
    if "=" not in text:
        raise InputError([Issue(SET_SOURCE, text, "expected PATH=VALUE, e.g. "
                                "sites.hall-b.power_mw=40")])
    path, _, raw = text.partition("=")
    path = path.strip()
    parse_path(path)
    return path, parse_value(raw, SET_SOURCE, path)
