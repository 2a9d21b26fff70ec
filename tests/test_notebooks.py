"""Every notebook in notebooks/ runs from top to bottom, and its figures display.

The notebooks run in their own folder (they read ../instances and write no file),
as a user's Jupyter would run them; their own asserts check that the text's claims
(capacity binds, a placement is overloaded, ...) hold for the instances they use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def test_there_are_the_five_notebooks_and_they_are_stored_clean():
    assert [p.name for p in NOTEBOOKS] == ["01-quickstart.ipynb", "02-heuristics-vs-exact.ipynb",
                                          "03-cost-and-latency.ipynb", "04-metr-la.ipynb",
                                          "05-replanning.ipynb"]
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path.name
        source = "".join("".join(c["source"]) for c in code)
        assert "matplotlib.use(" not in source  # figures must display, not go to a forced Agg backend


def _execute(path: Path) -> list[dict]:
    nbformat = pytest.importorskip("nbformat", reason="notebook tests need the [test] extras")
    nbclient = pytest.importorskip("nbclient", reason="notebook tests need the [test] extras")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_shows_its_figures(path):
    outputs = _execute(path)
    assert not [out for out in outputs if out.get("output_type") == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    shows = path.read_text().count("plt.show()")
    assert shows and len(images) == shows  # every figure is displayed inline


def test_metr_la_notebook_falls_back_to_a_generated_city(monkeypatch, tmp_path):
    monkeypatch.setenv("HFLOPT_SHARED", str(tmp_path))  # no METR-LA files there
    outputs = _execute(FOLDER / "04-metr-la.ipynb")
    assert not [out for out in outputs if out.get("output_type") == "error"]
    text = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
    assert "METR-LA files not found: a generated city" in text
