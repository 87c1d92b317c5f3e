"""The release manifest: which files of a student's repository decide a grade, and their hashes.

A release writes ``lockstep-manifest.json`` into the student template; ``python -m grader
verify`` compares a student's repository with it. The protected files are the grader, the
Actions workflows and the nox files: a student who edits them can make a self-reported grade
say anything. The exercises themselves are the student's to edit and are not listed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "lockstep/manifest/v1"
MANIFEST_NAME = "lockstep-manifest.json"
PROTECTED_DIRS = ("grader", ".github/workflows")
"""Every file below these folders is protected, including files the release did not ship."""
PROTECTED_FILES = ("noxfile.py", "pyproject.toml")
_IGNORED_DIRS = frozenset({"__pycache__"})
_IGNORED_SUFFIXES = (".pyc", ".pyo")
"""What running the grader leaves behind: never part of a release, never a tampering."""


class ManifestError(Exception):
    """The manifest file is missing or is not a Lockstep manifest."""


@dataclass(frozen=True)
class Manifest:
    version: str
    """The kit's version (``project.version`` in pyproject.toml) the template was released from."""
    date: str
    """The day of the release, ``YYYY-MM-DD``."""
    files: dict[str, str] = field(default_factory=dict)
    """Protected file (POSIX path relative to the repository) -> SHA-256 of its bytes, hex."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": self.version,
            "date": self.date,
            "files": dict(sorted(self.files.items())),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at ``path``; raises ManifestError saying what is wrong with it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(f"{path} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ManifestError(f"{path} is not readable JSON: {error}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ManifestError(f"{path} is not a Lockstep manifest (schema {SCHEMA})")
        files = data.get("files")
        if not isinstance(files, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in files.items()
        ):
            raise ManifestError(f"{path}: 'files' must map paths to SHA-256 hashes")
        return cls(str(data.get("version", "")), str(data.get("date", "")), dict(files))


def is_protected(relative: str) -> bool:
    """Whether a POSIX path relative to the repository root is a protected file."""
    if relative in PROTECTED_FILES:
        return True
    return any(relative.startswith(f"{folder}/") for folder in PROTECTED_DIRS)


def protected_files(root: Path) -> list[str]:
    """The protected files present under ``root``, as sorted POSIX relative paths."""
    found = [name for name in PROTECTED_FILES if (root / name).is_file()]
    for folder in PROTECTED_DIRS:
        top = root / folder
        if not top.is_dir():
            continue
        for directory, subdirs, names in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d not in _IGNORED_DIRS)
            for name in names:
                path = Path(directory) / name
                if name.endswith(_IGNORED_SUFFIXES) or not path.is_file():
                    continue
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot(root: Path, version: str, date: str) -> Manifest:
    """The manifest of the protected files under ``root`` as they are now."""
    return Manifest(version, date, {name: sha256(root / name) for name in protected_files(root)})
