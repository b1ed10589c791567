"""The user-facing docs stay usable from a clone and in step with the schemas.

- Every relative link in README.md and docs/*.md points at a file or folder inside the
  repository that exists (a clone has nothing outside it, e.g. no `../shared/`).
- docs/scenario.md names every field the scenario schema accepts (nested sections
  included), and every field of the catalogue, profile and demand schemas.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from planner.inputs.datasets import Catalog, DemandRow, ModelProfile
from planner.inputs.schemas import Scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
SCENARIO_DOC = ROOT / "docs" / "scenario.md"

# [text](target) and ![alt](target), with an optional "title"; and [label]: target
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)


def _links(text: str) -> list[str]:
    prose = FENCE.sub("", text)  # links inside code blocks are not links
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return INLINE_LINK.findall(prose) + REF_LINK.findall(prose)


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("#")


def test_docs_found() -> None:
    assert SCENARIO_DOC.is_file()
    assert ROOT / "README.md" in DOCS and len(DOCS) > 2


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_exist_inside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    problems = []
    for target in _links(text):
        if _is_external(target):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not path:
            continue
        if path.startswith("/"):
            problems.append(f"{target}: absolute path; link relative to the file")
            continue
        resolved = (doc.parent / path).resolve()
        if resolved != ROOT and ROOT not in resolved.parents:
            problems.append(f"{target}: outside the repository (a clone has no such file)")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
    assert not problems, f"{doc.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_mention_of_the_shared_folder(doc: Path) -> None:
    assert "../shared" not in doc.read_text(encoding="utf-8")


def test_link_checker_catches_bad_links() -> None:
    text = ("See [a](../shared/spec/scenario.md), [b](docs/x.md#part), ![c](img.png), "
            "[d](https://example.com), [e](#anchor), `[f](code.md)`\n\n[g]: ../g.md\n"
            "```\n[h](in-a-block.md)\n```\n")
    assert _links(text) == ["../shared/spec/scenario.md", "docs/x.md#part", "img.png",
                            "https://example.com", "#anchor", "../g.md"]


def _models(ann: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (list[Site], Workload | None, ...)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for arg in typing.get_args(ann) for m in _models(arg)]


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None
                 ) -> dict[str, str]:
    """Every field name of a model and its nested models: name -> where it is."""
    seen = seen if seen is not None else set()
    seen.add(model)
    out: dict[str, str] = {}
    for name, f in model.model_fields.items():
        out.setdefault(name, f"{model.__name__}.{name}")
        for sub in _models(f.annotation):
            if sub not in seen:
                for k, v in _field_names(sub, seen).items():
                    out.setdefault(k, v)
    return out


def _code_words(text: str) -> set[str]:
    """Words that appear in code: inline `spans` and fenced blocks."""
    code = [m.group(0) for m in FENCE.finditer(text)]
    code += re.findall(r"`([^`\n]+)`", FENCE.sub("", text))
    return {w for chunk in code for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", chunk)}


@pytest.mark.parametrize("model", [Scenario, Catalog, ModelProfile, DemandRow],
                         ids=lambda m: m.__name__)
def test_scenario_doc_names_every_field(model: type[BaseModel]) -> None:
    words = _code_words(SCENARIO_DOC.read_text(encoding="utf-8"))
    missing = sorted(where for name, where in _field_names(model).items()
                     if name not in words)
    assert not missing, ("docs/scenario.md does not name these accepted fields (write "
                         "each as `field`): " + ", ".join(missing))


def test_field_walk_reaches_nested_sections() -> None:
    names = _field_names(Scenario)
    for nested in ("start", "power_mw", "retire_after", "total_capex_usd",
                   "discount_rate", "strict_demand", "random_seed"):
        assert nested in names
