"""The templates grader code passes to ``t(...)``, found as Babel's extraction would find them:
a string literal, or a module constant holding one (either branch of a conditional too)."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterable
from pathlib import Path


def _literal(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def templates(paths: Iterable[Path]) -> dict[str, tuple[Path, int]]:
    """Each template passed to ``t()`` in these files, with the first place it is used.
    Raises ``ValueError`` where ``t()`` is given something that is not a literal."""
    found: dict[str, tuple[Path, int]] = {}
    for path in sorted(paths):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != "t" or not node.args:
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for option in options:
                text = _literal(option, constants)
                if text is None:
                    raise ValueError(f"{path}:{node.lineno}: t() of something not a literal")
                found.setdefault(text, (path, node.lineno))
    return found


def fields(template: str) -> set[str]:
    """The ``{fields}`` a template names."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
