"""Notice a submission that wrote into the kit, the submission folder or the results file.

The grader runs as the student (or as root in CI), so file permissions cannot stop a
submission from editing the grader, another exercise's file, or a results file it expects to be
read afterwards. Where runs get namespaces (``launcher.py``), the kit and the submission folder
are mounted read-only for them; in any case, what the submission's modules hold (and, without
read-only mounts, the kit's files too) is taken before the runs and compared after: any change
makes the grading a fault of the grader (exit code 2), never a score. (With read-only mounts
the kit is left out of the comparison: kit developers edit it while tests run.)
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .language import t
from .sandbox import pid_namespaces

KIT = Path(__file__).resolve().parent
"""The grader package: its code, its catalogue and the probe the runs load."""


class KitChanged(RuntimeError):
    """Files the grading depends on changed while submissions ran."""


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        for path in sorted(root.rglob("*")):
            if "__pycache__" not in path.parts and path.is_file():
                yield path


def snapshot(roots: Iterable[Path]) -> dict[str, str]:
    """Each file under ``roots`` (``__pycache__`` aside) to a digest of its bytes; a missing
    root counts as a missing file, so one created later is noticed."""
    taken: dict[str, str] = {}
    for root in roots:
        taken[str(root)] = "dir" if root.is_dir() else "absent"
        for path in _files(root):
            with contextlib.suppress(OSError):
                taken[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return taken


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths added, removed or edited between two snapshots."""
    paths = before.keys() | after.keys()
    return sorted(path for path in paths if before.get(path) != after.get(path))


def watched(submission: Path, filenames: Iterable[str]) -> list[Path]:
    """What a grading of ``filenames`` in ``submission`` guards."""
    roots = [*submission.glob("*.py"), *(submission / name for name in filenames)]
    return roots if pid_namespaces() else [KIT, *roots]


@contextlib.contextmanager
def guarded(roots: Iterable[Path]) -> Iterator[None]:
    """Raise ``KitChanged`` on leaving if a file under ``roots`` changed in between."""
    watched = [Path(root).resolve() for root in roots]
    before = snapshot(watched)
    yield
    edited = changed(before, snapshot(watched))
    if edited:
        shown = ", ".join(edited[:5])
        if len(edited) > 5:
            shown = t("{files} and {count} more", files=shown, count=len(edited) - 5)
        raise KitChanged(
            t(
                "files changed while the submissions ran: {files}. A submission wrote into the "
                "kit, the submission folder or the results file; no grade is given. Grade again "
                "from a fresh copy of the kit and of the submission.",
                files=shown,
            )
        )
