"""Safe YAML: plain data only, with the document's size and shape checked before it is built.

Tags that would build Python objects are refused, and so are alias bombs (a document
that expands to more than `MAX_YAML_NODES` values), recursive aliases, nesting deeper than
`MAX_YAML_DEPTH` and files over `MAX_YAML_BYTES`. Duplicate keys are reported with their
line. Every refusal is an `InputError` issue naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Issue
from planner.inputs.text import read_text

MAX_YAML_BYTES = 4 * 1024 * 1024  # no scenario, catalogue or profile is this large
MAX_YAML_NODES = 200_000  # guards alias ("billion laughs") expansion
MAX_YAML_DEPTH = 60  # no input nests deeper than a handful of levels

_SafeBase: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class _SafeLoader(_SafeBase):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader: plain data only (no tags that build objects).

    libyaml's C parser when PyYAML has it (`yaml.CSafeLoader`: the same safe constructor
    and resolver, the parsing in C), else the pure-Python one. The checks below (node
    budget, depth, recursive aliases, duplicate keys) run on the parsed node tree either
    way. Measured (benchmarks/README.md): loading a small benchmark scenario took 18-20 ms
    with the Python parser and about 5 ms with libyaml's; a large one 0.23 s and 0.04 s.
    """


def _scalar_key(node: Any) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _walk(node: Any, path: str, budget: list[int], stack: set[int], depth: int,
          dups: list[tuple[str, int]]) -> None:
    """Count the nodes a document expands to (aliases included); find duplicate keys."""
    budget[0] -= 1
    if budget[0] < 0:
        raise yaml.YAMLError(f"document expands to more than {MAX_YAML_NODES} values: "
                             "too large to be an input (an alias bomb?)")
    if depth > MAX_YAML_DEPTH:
        raise yaml.YAMLError(f"document nests deeper than {MAX_YAML_DEPTH} levels")
    if isinstance(node, yaml.ScalarNode):
        return
    if id(node) in stack:
        raise yaml.YAMLError("an alias refers to a node that contains it (recursive alias)")
    stack.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                _walk(child, f"{path}[{i}]", budget, stack, depth + 1, dups)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                key = _scalar_key(k)
                if key is not None and key != "<<":
                    if key in seen:
                        dups.append((f"{path}.{key}" if path else key, k.start_mark.line + 1))
                    seen.add(key)
                _walk(k, path, budget, stack, depth + 1, dups)
                _walk(v, f"{path}.{key}" if path else str(key), budget, stack, depth + 1, dups)
    finally:
        stack.discard(id(node))


def _tag_name(problem: str) -> str:
    if "'" in problem:
        return problem.split("'")[1].replace("tag:yaml.org,2002:", "!!")
    return problem


def load_yaml_issues(path: Path, label: str | None = None) -> tuple[Any, list[Issue]]:
    """Parse a YAML file safely: (data, non-fatal issues such as duplicate keys).

    Raises InputError when the file cannot be read or parsed at all.
    """
    name = label or str(path)
    text = read_text(path, name, MAX_YAML_BYTES)
    dups: list[tuple[str, int]] = []
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, []
            _walk(node, "", [MAX_YAML_NODES], set(), 0, dups)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        raise InputError([Issue(name, *_constructor_issue(exc))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError([Issue(name, where, f"invalid YAML: {problem}")]) from None
    except RecursionError:
        raise InputError([Issue(name, "", "YAML nests too deeply")]) from None
    issues = [Issue(name, f"{p} (line {line})", "duplicate key; each key may appear once")
              for p, line in dups]
    return data, issues


def _constructor_issue(exc: yaml.constructor.ConstructorError) -> tuple[str, str]:
    """(where, message) of a value the safe constructor refuses (a tag, a list as a key)."""
    mark = exc.problem_mark
    where = f"line {mark.line + 1}" if mark else ""
    problem = str(exc.problem or "")
    if "constructor for the tag" in problem:
        msg = (f"YAML tag {_tag_name(problem)} is not allowed (tags that build objects "
               "are refused; write plain values)")
    elif "unhashable" in problem:
        msg = "a mapping key must be a plain value, not a list or mapping"
    else:
        msg = f"unsupported YAML construct: {problem}"
    return where, msg


def load_yaml(path: Path, label: str | None = None) -> Any:
    """Parse a YAML file safely; syntax errors and duplicate keys raise InputError."""
    data, issues = load_yaml_issues(path, label)
    if issues:
        raise InputError(issues)
    return data
