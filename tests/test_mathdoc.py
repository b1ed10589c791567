"""docs/math.md is generated from the docstrings of the model's code and stays in step.

Every constraint family states its rows in a math block (a ``::`` paragraph) and names
its row families; the page lists every family, the variables, the objective and every
limit enforced without a row; and the checked-in page is what `python -m
planner.core.mathdoc` writes today.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.core import mathdoc
from planner.core.constraints import CONSTRAINT_FAMILIES
from planner.core.sparsity import SPARSITY_LIMITS

ROOT = Path(__file__).resolve().parent.parent
MATH_MD = ROOT / "docs" / "math.md"


def test_math_page_is_up_to_date() -> None:
    assert MATH_MD == mathdoc.MATH_MD
    assert MATH_MD.read_text(encoding="utf-8") == mathdoc.render(), (
        "docs/math.md differs from the docstrings of planner/core: run "
        "`python -m planner.core.mathdoc` and commit the result")


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "math.md"
    assert mathdoc.main(["--out", str(page)]) == 0
    assert mathdoc.main(["--check", "--out", str(page)]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "drift\n", encoding="utf-8")
    assert mathdoc.main(["--check", "--out", str(page)]) == 1


def test_render_is_deterministic() -> None:
    assert mathdoc.render() == mathdoc.render()


@pytest.mark.parametrize("family", CONSTRAINT_FAMILIES, ids=lambda f: f.__name__)
def test_each_family_states_its_rows(family: object) -> None:
    doc = getattr(family, "__doc__", "") or ""
    title, _, lead = doc.splitlines()[0].partition(": ")
    assert title and lead, "first line: 'Title: what the family says.'"
    assert "::\n" in doc, "the rows in a math block (a paragraph ending in '::')"
    assert any(op in doc for op in ("<=", ">=", " = ")), "an inequality or equation"
    assert mathdoc.row_names(family), "the row families, as ``name[index]``"


def test_page_lists_every_family_and_limit() -> None:
    text = mathdoc.render()
    for family in CONSTRAINT_FAMILIES:
        assert f"`{family.__module__}.{family.__name__}`" in text  # a family may live
        # in a module of its concept (B. renting: planner.core.renting)
        for row in mathdoc.row_names(family):
            assert f"`{row}`" in text
    for lim in SPARSITY_LIMITS:
        assert f"| {lim.limit} |" in text
    for section in ("## Sets and notation", "## Variables", "## Objective",
                    "## Constraints", "## Limits without a row of their own",
                    "## Two formulations", "## Numerics"):
        assert section in text


def test_markdown_turns_math_blocks_into_code_blocks() -> None:
    doc = """Title: lead.

    Rows ``power[s,t]``::

        a <= b

    After.
    """
    assert mathdoc.markdown(doc) == ("Title: lead.\n\nRows `power[s,t]`:\n\n```text\na <= b\n"
                                     "```\n\nAfter.\n")
