"""examples/notebook/planning.ipynb runs, cell by cell, in a Jupyter kernel (nbclient),
so the example never rots: no cell fails, and each shows what its text promises."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "notebook" / "planning.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The notebook run in a copy of the examples it reads (its plan-out/ lands there)."""
    examples = tmp_path_factory.mktemp("run") / "examples"
    for name in ("notebook", "quickstart"):
        shutil.copytree(ROOT / "examples" / name, examples / name)
    nb = nbformat.read(examples / "notebook" / NOTEBOOK.name, as_version=4)
    # the kernel is the test's own Python (ipykernel's python3), so it plans with this
    # checkout's planner; a cell that raises fails here (CellExecutionError)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(examples / "notebook")}}).execute()
    return nb, examples / "notebook"


def _outputs(nb: Any, tag: str) -> list[dict[str, Any]]:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, tag
    return list(cells[0].outputs)


def _shown(nb: Any, tag: str, mime: str) -> str:
    """What the tagged cell shows as `mime` (its result or what it displays)."""
    return "".join(o["data"].get(mime, "") for o in _outputs(nb, tag) if "data" in o)


def _table_rows(html: str) -> int:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return body.count("<tr>") + body.count("<tr ")


def test_no_cell_fails_or_warns_in_red(executed: tuple[Any, Path]) -> None:
    nb, _ = executed
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            assert out.get("name") != "stderr", out.get("text")


def test_plan_cells_show_the_plan_and_its_tables(executed: tuple[Any, Path]) -> None:
    nb, folder = executed
    plan = _shown(nb, "plan", "text/html")
    assert "Capacity plan: quickstart-one-hall" in plan and "All demand is served" in plan
    assert plan.count("<svg") == 1
    assert len(_shown(nb, "plan", "text/plain")) < 400  # the short repr, not 48,000 chars
    purchases = _shown(nb, "purchases", "text/html")
    assert 'class="dataframe' in purchases
    for column in ("period", "site", "system", "units", "capex_usd"):
        assert f"<th>{column}</th>" in purchases
    assert _table_rows(purchases) > 0
    assert "'report.html'" in _shown(nb, "report", "text/plain")
    assert (folder / "plan-out" / "report.html").is_file()


def test_what_if_cells_show_the_shortfall_and_the_sweep(executed: tuple[Any, Path]) -> None:
    nb, _ = executed
    what_if = _shown(nb, "what-if", "text/html")
    assert "Shortfall" in what_if and "Unmet penalty (not spend)" in what_if
    compare = _shown(nb, "compare", "text/html")
    assert _table_rows(compare) == 2 and "unmet_penalty_usd" in compare
    sweep = _shown(nb, "sweep", "text/html")
    assert _table_rows(sweep) == 3  # 12, 16 and 20 MW
    assert re.search(r"<td>optimal</td>", sweep)
    chart = _shown(nb, "chart", "image/svg+xml")
    assert chart.startswith("<svg") and "Spend against the hall" in chart
