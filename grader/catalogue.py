"""The exercise catalogue (``catalogue.toml``) as typed records."""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from .language import pick, t

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CATALOGUE_PATH = Path(__file__).with_name("catalogue.toml")


@dataclass(frozen=True)
class CheckInfo:
    name: str
    points: int
    summary: str
    hint: str
    hint2: str
    requires: tuple[str, ...] = ()
    summary_zh: str = ""
    hint_zh: str = ""
    hint2_zh: str = ""

    def localized(self) -> CheckInfo:
        """This check with its summary and hints in the language the grader speaks now."""
        return replace(
            self,
            summary=pick(self.summary, self.summary_zh),
            hint=pick(self.hint, self.hint_zh),
            hint2=pick(self.hint2, self.hint2_zh),
        )

    not_judged_on: tuple[tuple[str, str], ...] = ()
    """(``sys.platform``, why) for each system where this check cannot be judged."""

    def why_not_judged(self, system: str) -> str | None:
        """Why the check cannot be judged on ``system``; None where it can."""
        return dict(self.not_judged_on).get(system)


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    params: tuple[str, ...]
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": list(self.params), "signature": self.signature}


@dataclass(frozen=True)
class ExerciseInfo:
    id: str
    title: str
    title_zh: str
    timeout: float
    start_methods: tuple[str, ...]
    api: tuple[FunctionInfo, ...]
    checks: tuple[CheckInfo, ...]

    @property
    def number(self) -> str:
        """``01`` for ``ex01_process_lock``."""
        return self.id[2:4]

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    def check(self, name: str) -> CheckInfo:
        return next(check for check in self.checks if check.name == name)

    @property
    def filename(self) -> str:
        return f"{self.id}.py"


def parse_signature(text: str) -> FunctionInfo:
    """``task(i, lock, delay=1.0)`` -> its name and parameter names."""
    try:
        tree = ast.parse(f"def {text.strip()}: pass")
    except SyntaxError:
        raise ValueError(f"not a signature: {text!r}") from None
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    arguments = function.args
    params = tuple(arg.arg for arg in arguments.args + arguments.kwonlyargs)
    return FunctionInfo(function.name, params, text.strip())


@cache
def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[ExerciseInfo, ...]:
    with open(path, "rb") as file:
        data = tomllib.load(file)
    exercises = []
    for entry in data["exercise"]:
        checks = tuple(
            CheckInfo(
                name=check["name"],
                points=int(check["points"]),
                summary=check["summary"],
                hint=check["hint"],
                hint2=check["hint2"],
                requires=tuple(check.get("requires", ())),
                summary_zh=check.get("summary_zh", ""),
                hint_zh=check.get("hint_zh", ""),
                hint2_zh=check.get("hint2_zh", ""),
                not_judged_on=tuple(sorted(check.get("not_judged_on", {}).items())),
            )
            for check in entry["check"]
        )
        exercises.append(
            ExerciseInfo(
                id=entry["id"],
                title=entry["title"],
                title_zh=entry["title_zh"],
                timeout=float(entry["timeout"]),
                start_methods=tuple(entry.get("start_methods", ())),
                api=tuple(parse_signature(sig) for sig in entry["api"]),
                checks=checks,
            )
        )
    return tuple(sorted(exercises, key=lambda exercise: exercise.id))


def find_exercise(key: str) -> ExerciseInfo | None:
    """An exercise by id (``ex01_process_lock``), number (``01``, ``1``) or ``ex01``."""
    for exercise in load_catalogue():
        if key in (exercise.id, exercise.number, exercise.id[:4]) or (
            key.isdigit() and int(key) == int(exercise.number)
        ):
            return exercise
    return None


def select(keys: Sequence[str]) -> list[ExerciseInfo] | str:
    """The exercises named, or the message for an unknown name."""
    if not keys:
        return list(load_catalogue())
    chosen = []
    for key in keys:
        exercise = find_exercise(key)
        if exercise is None:
            valid = "\n".join(f"  {e.number}  {e.id}" for e in load_catalogue())
            return t("unknown exercise {key!r}; the exercises are:\n{valid}", key=key, valid=valid)
        if exercise not in chosen:
            chosen.append(exercise)
    return chosen
