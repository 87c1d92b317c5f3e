"""The tamper report: which protected files of a student's repository differ from the release.

A student's self-reported grade (the Actions run, a local ``nox -s grade``) is only as good as
the grader that produced it. ``python -m grader verify REPO`` lists the grader, workflow and nox
files that were changed, deleted or added since the release, so an instructor knows whose
reported grade to distrust. Pass ``--manifest`` with the release's own copy: the one in the
student's repository can be edited like anything else there (it is then reported as changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .manifest import MANIFEST_NAME, Manifest, protected_files, sha256

Change = Literal["changed", "missing", "added"]


@dataclass(frozen=True)
class Difference:
    path: str
    """POSIX path relative to the repository."""
    change: Change


@dataclass(frozen=True)
class Report:
    repo: Path
    manifest: Manifest
    differences: tuple[Difference, ...] = field(default_factory=tuple)
    own_manifest: bool = True
    """Whether the manifest compared with is the one inside the repository itself."""

    @property
    def clean(self) -> bool:
        return not self.differences


def verify(repo: Path, manifest_path: Path | None = None) -> Report:
    """Compare ``repo``'s protected files with the manifest (by default ``repo``'s own).

    Raises ``ManifestError`` when the manifest is missing or invalid.
    """
    own = manifest_path is None or _same_file(manifest_path, repo / MANIFEST_NAME)
    path = repo / MANIFEST_NAME if manifest_path is None else manifest_path
    manifest = Manifest.read(path)
    present = set(protected_files(repo))
    differences = []
    for name in sorted(present | set(manifest.files)):
        if name not in present:
            differences.append(Difference(name, "missing"))
        elif name not in manifest.files:
            differences.append(Difference(name, "added"))
        elif sha256(repo / name) != manifest.files[name]:
            differences.append(Difference(name, "changed"))
    if not own:
        copy = repo / MANIFEST_NAME
        if not copy.is_file():
            differences.append(Difference(MANIFEST_NAME, "missing"))
        elif copy.read_bytes() != path.read_bytes():
            differences.append(Difference(MANIFEST_NAME, "changed"))
    return Report(repo, manifest, tuple(differences), own)


def render(report: Report) -> str:
    """The report as an instructor reads it: one line per difference, or that all is as released."""
    release = f"release {report.manifest.version} of {report.manifest.date}"
    if report.clean:
        lines = [f"{report.repo}: as in the {release} ({len(report.manifest.files)} files)"]
    else:
        lines = [f"{report.repo}: {len(report.differences)} file(s) differ from the {release}"]
        lines += [f"    {d.change:<8} {d.path}" for d in report.differences]
    if report.own_manifest:
        lines.append(
            f"    (compared with the repository's own {MANIFEST_NAME}, which a student can edit "
            "too: pass --manifest with your release's copy)"
        )
    return "\n".join(lines)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
