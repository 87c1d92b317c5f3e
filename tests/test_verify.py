"""The tamper report: ``python -m grader verify REPO`` against the release manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.instructor.manifest import MANIFEST_NAME
from grader.instructor.release import build


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A student repository as released (each test gets its own to edit)."""
    out = tmp_path / "student"
    build(out)
    return out


def verify(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["verify", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_repository(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A repository as released exits 0 and says so, edited exercises and bytecode included."""
    (repo / "exercises" / "ex01_process_lock.py").write_text("# my answer\n")
    (repo / "grader" / "__pycache__").mkdir()
    (repo / "grader" / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"\0")
    code, out, _ = verify(capsys, repo)
    assert code == 0
    assert "as in the release" in out
    assert "changed" not in out and "added" not in out


def test_edited_files_are_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An edited grader module and an edited workflow or noxfile are reported as changed."""
    grading = repo / "grader" / "grading.py"
    grading.write_text(grading.read_text() + "\n# full marks for everyone\n")
    (repo / "noxfile.py").write_text("import nox\n")
    code, out, _ = verify(capsys, repo)
    assert code == 1
    assert "changed  grader/grading.py" in out
    assert "changed  noxfile.py" in out
    assert "2 file(s) differ" in out


def test_deleted_files_are_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A deleted grader file and a deleted pyproject.toml are reported as missing."""
    (repo / "grader" / "report.py").unlink()
    (repo / "pyproject.toml").unlink()
    code, out, _ = verify(capsys, repo)
    assert code == 1
    assert "missing  grader/report.py" in out
    assert "missing  pyproject.toml" in out


def test_added_files_are_listed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new module in the grader and a new workflow are reported as added."""
    (repo / "grader" / "exercises" / "override.py").write_text("SCORE = 100\n")
    (repo / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (repo / ".github" / "workflows" / "self-grade.yml").write_text("on: push\n")
    code, out, _ = verify(capsys, repo)
    assert code == 1
    assert "added    grader/exercises/override.py" in out
    assert "added    .github/workflows/self-grade.yml" in out


def test_release_manifest_catches_an_edited_manifest(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --manifest from the release, a student who re-hashed their own manifest after
    editing the grader is still caught, and so is the manifest itself."""
    release = tmp_path / "release-manifest.json"
    shutil.copy(repo / MANIFEST_NAME, release)
    grading = repo / "grader" / "grading.py"
    grading.write_text(grading.read_text() + "\n# edited\n")
    (repo / MANIFEST_NAME).unlink()
    from grader.instructor.manifest import snapshot

    snapshot(repo, "0.1.0", "2026-09-01").write(repo / MANIFEST_NAME)
    assert verify(capsys, repo)[0] == 0  # its own manifest agrees with it...
    code, out, _ = verify(capsys, repo, "--manifest", release)
    assert code == 1  # ...the release's does not
    assert "changed  grader/grading.py" in out
    assert f"changed  {MANIFEST_NAME}" in out
    assert "which a student can edit" not in out


def test_several_repositories(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several repositories in one call: one report each, exit 1 if any differs."""
    other = tmp_path / "other"
    shutil.copytree(repo, other)
    (other / "noxfile.py").unlink()
    code, out, _ = verify(capsys, repo, other, "--manifest", repo / MANIFEST_NAME)
    assert code == 1
    assert f"{repo}: as in the release" in out
    assert f"{other}: 1 file(s) differ" in out


@pytest.mark.parametrize("problem", ["no repository", "no manifest", "not a manifest", "not json"])
def test_usage_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    """A missing repository or an unusable manifest is a usage error (2), with a message."""
    argv: list[str | Path] = [repo]
    if problem == "no repository":
        argv = [tmp_path / "nowhere"]
    elif problem == "no manifest":
        (repo / MANIFEST_NAME).unlink()
    elif problem == "not a manifest":
        (repo / MANIFEST_NAME).write_text('{"schema": "something/else"}')
    else:
        (repo / MANIFEST_NAME).write_text("{not json")
    code, _, err = verify(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ")
