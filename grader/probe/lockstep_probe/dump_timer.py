"""Stacks of a hung run where no signal can ask for them (Windows; ``LOCKSTEP_BACKEND=portable``).

The grader puts the run's deadline in ``LOCKSTEP_DUMP_AT`` (wall-clock seconds). Each process
arms a ``faulthandler`` timer for that moment: if it is still there then, faulthandler's own
watchdog (a C thread, invisible to ``threading``) writes every thread's stack into the
process's dump file, as ``SIGUSR1`` does elsewhere. A process that ends first never dumps.

The watchdog is a thread, and a process with threads must not fork (Python 3.12+ warns, and a
child could not re-arm the timer): the timer is cancelled (its thread joined) before each
``fork`` and armed again after it, in the parent and, with its own dump file, in the child.
Only the standard library is used: this runs in the student's interpreter.
"""

from __future__ import annotations

import faulthandler
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AT = float(os.environ.get("LOCKSTEP_DUMP_AT") or 0)
_LATE = 0.25
_file: Any = None
_hooked = False


def arm(file: Any) -> bool:
    """Dump into ``file`` at the deadline; False where the run asks for no timer."""
    global _file, _hooked
    if not AT:
        return False
    _file = file
    _arm()
    if not _hooked and hasattr(os, "register_at_fork"):
        _hooked = True
        os.register_at_fork(before=faulthandler.cancel_dump_traceback_later, after_in_parent=_arm)
    return True


def _arm() -> None:
    """Once at the deadline; a process that starts after it (the grader waits longer on a
    busy machine) dumps every ``_LATE`` seconds instead, and the grader reads the last dump."""
    if _file is not None:
        left = AT - time.time()
        every = left if left > 0 else _LATE
        faulthandler.dump_traceback_later(every, repeat=left <= 0, file=_file)
