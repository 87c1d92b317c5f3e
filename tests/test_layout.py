"""The grader's packages by who uses them: no import cycle, and the engine needs neither the
instructors' tools nor the maintainers'."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

GRADER = ROOT / "grader"
NOT_ENGINE = ("grader.instructor", "grader.maintainer")


def module_name(path: Path, root: Path) -> str:
    """``grader/instructor/batch.py`` -> ``grader.instructor.batch``; a package's
    ``__init__.py`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path, root: Path, modules: set[str]) -> Iterator[str]:
    """The modules of ``modules`` that the file imports, anywhere in it (inside a function too:
    an import put off until a call is still a dependency)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from . import batch` imports the module batch
                if f"{source}.{alias.name}" in modules:
                    yield f"{source}.{alias.name}"
                elif source in modules:
                    yield source


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports, for every .py file under ``root``."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    modules = set(files)
    return {name: set(imported(path, root, modules)) - {name} for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, a]``) per strongly connected group of modules that import each
    other, found by depth-first search."""
    found: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the path, "done" once every import is seen
    in_a_cycle: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                loop = [*path[path.index(target) :], target]
                if not in_a_cycle & set(loop):
                    found.append(loop)
                in_a_cycle.update(loop)
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_the_grader_has_no_import_cycle() -> None:
    """No module of grader/ imports, directly or through others, a module that imports it."""
    graph = import_graph(GRADER)
    assert "grader.instructor.batch" in graph["grader.instructor.commands"]  # the graph is real
    assert cycles(graph) == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    """A copy of the grader where the engine's results import the instructors' batch (which
    imports them back) has a cycle through both, whatever form the imports take."""
    copy = tmp_path / "grader"
    shutil.copytree(GRADER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    results = copy / "results.py"
    results.write_text(
        results.read_text(encoding="utf-8") + "\n\ndef _later() -> None:\n"
        "    from .instructor import batch  # noqa: F401\n",
        encoding="utf-8",
    )
    [loop] = cycles(import_graph(copy))
    assert {"grader.results", "grader.instructor.batch"} <= set(loop) and loop[0] == loop[-1]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c", "a"]]),
        ({"a": {"a2"}, "a2": set(), "x": {"y"}, "y": {"x"}}, [["x", "y", "x"]]),
    ],
    ids=["none", "two", "three", "apart"],
)
def test_cycles_in_small_graphs(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    """A chain has no cycle; two or three modules importing round have one, wherever it is."""
    assert cycles(graph) == expected


def test_the_engine_imports_neither_the_instructors_nor_the_maintainers_tools() -> None:
    """Only the command line reaches into grader/instructor (for ``batch`` and ``verify``, and
    it says so when the template has none); no module of the engine imports grader/maintainer,
    and no module but ``__main__`` imports the command line."""
    graph = import_graph(GRADER)
    engine = {name for name in graph if not name.startswith(NOT_ENGINE)}
    reaching = {
        name: sorted(t for t in graph[name] if t.startswith(NOT_ENGINE))
        for name in engine
        if any(t.startswith(NOT_ENGINE) for t in graph[name])
    }
    assert reaching == {"grader.cli": ["grader.instructor.commands"]}
    assert [name for name, targets in graph.items() if "grader.cli" in targets] == [
        "grader.__main__"
    ]
