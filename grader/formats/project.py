"""What the generated files need from ``pyproject.toml``: the grader's dependencies and the
oldest Python it runs on (read, never copied by hand)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KIT_ROOT = Path(__file__).resolve().parents[2]
"""The kit's checkout: the folder holding ``grader/`` and ``pyproject.toml``."""


@dataclass(frozen=True)
class Project:
    dependencies: tuple[str, ...]
    """``[project].dependencies``: what the grader imports besides the standard library."""
    min_python: tuple[int, int]
    """From ``requires-python = ">=3.10"``."""


def load_project(path: Path = KIT_ROOT / "pyproject.toml") -> Project:
    with open(path, "rb") as file:
        data = tomllib.load(file)["project"]
    match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", data["requires-python"])
    if match is None:
        raise ValueError(f"requires-python must read '>=X.Y', not {data['requires-python']!r}")
    return Project(tuple(data["dependencies"]), (int(match[1]), int(match[2])))


def shell_words(words: tuple[str, ...]) -> str:
    """``words`` quoted for a POSIX shell, in double quotes when that is safe (readable in
    YAML and scripts), else in single quotes."""
    quoted = []
    for word in words:
        if re.fullmatch(r"[A-Za-z0-9_.=<>!~,;:/@+' -]*", word):
            quoted.append(f'"{word}"')
        else:
            quoted.append("'" + word.replace("'", "'\"'\"'") + "'")
    return " ".join(quoted)
