"""The shape of the package: no import cycles, small functions, no tuning globals, lint clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hflopt"
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imported(node: ast.AST, package: str) -> list[str]:
    """Module names an import statement refers to (``from a import b``: ``a`` and ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([base] if base else []))
        return [base] + [f"{base}.{alias.name}" for alias in node.names]
    return []


def import_graph() -> nx.DiGraph:
    """Module -> modules of hflopt it imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    modules = _modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, package):
                mod = owner(target)
                if mod is not None and mod != name:
                    graph.add_edge(name, mod)
    return graph


def test_the_import_graph_sees_imports() -> None:
    graph = import_graph()
    assert len(graph) > 40
    assert graph.has_edge("hflopt.solvers.exact", "hflopt.solvers.links")
    assert graph.has_edge("hflopt.io.graphs", "hflopt.io.graph_topology")  # a function-level import counts too
    assert graph.has_edge("hflopt.solvers.exact_heuristics", "hflopt.solvers.local_search")


def test_no_import_cycles() -> None:
    cycles = sorted((" -> ".join([*c, c[0]]) for c in nx.simple_cycles(import_graph())), key=len)
    assert not cycles, "import cycles:\n" + "\n".join(cycles[:20])


def test_a_cycle_would_be_found(tmp_path) -> None:
    graph = import_graph()
    graph.add_edge("hflopt.solvers.links", "hflopt.solvers.exact")
    assert any("hflopt.solvers.exact" in c for c in nx.simple_cycles(graph))


def long_functions(limit: int = MAX_FUNCTION_LINES) -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_no_function_is_longer_than_80_lines() -> None:
    assert long_functions() == []
    assert long_functions(limit=40)  # the check sees functions (some are longer than 40 lines)


def test_no_tuning_globals_in_the_solvers() -> None:
    """Tuning lives in the parameter dataclasses of hflopt.solvers.params, not in module globals:
    a private upper-case module constant may only be a plain value that is not a tunable number."""
    offenders = []
    for path in sorted((PACKAGE / "solvers").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) else [])
            for t in targets:
                if (isinstance(t, ast.Name) and t.id.startswith("_") and t.id[1:2].isupper()
                        and isinstance(getattr(node, "value", None), ast.Constant)
                        and isinstance(node.value.value, (int, float)) and not isinstance(node.value.value, bool)
                        and t.id not in _CONSTANTS):
                    offenders.append(f"{path.name}: {t.id} = {node.value.value!r}")
    assert offenders == [], "move these into a parameter dataclass (hflopt.solvers.params):\n" + "\n".join(offenders)


#: numerical tolerances and the like: constants of the mathematics, not tuning
_CONSTANTS = {"_EPS", "_TOL", "_INF", "_BIG"}


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff is not installed (pip install -e .[test])")
def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    proc = subprocess.run([ruff, "check", "hflopt", "tests", "benchmarks"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
