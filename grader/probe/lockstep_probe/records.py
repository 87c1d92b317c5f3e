"""The record writer: one JSON object per line, appended to ``RUN_DIR/records.jsonl``.

The grader reads that file afterwards (never the submission's own stdout, so printing cannot
forge a record). Also here: the run's ``config.json`` and its levers, the file a ``SIGUSR1``
stack dump goes to, and how a record names a value.
``install()`` (in ``__init__``) opens the file; until then ``emit`` records nothing.
"""

from __future__ import annotations

import _thread
import faulthandler
import json
import os
import signal
import time

from . import dump_timer
from .protocol import CAPPED, Levers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RUN_DIR = os.environ.get("LOCKSTEP_RUN_DIR", "")
_RECORD_CAP = int(os.environ.get("LOCKSTEP_RECORD_CAP", str(4 * 1024 * 1024)))
_ITEM_CAP = 120

fd = -1
"""The records file, opened by ``install()``; -1 outside a graded run."""
_dump_file: Any = None
config: dict[str, Any] = {}
"""The run's ``config.json``, loaded by ``install()``."""
levers = Levers()
"""Which levers apply to this run (``config["levers"]``), loaded by ``install()``."""
capped = False
"""The cap was reached and said so; a fork child starts afresh."""

# The submission may replace these; the records must still tell the truth.
getpid = os.getpid
getppid = os.getppid
_write = os.write
_fstat = os.fstat
_clock = time.monotonic_ns
get_ident = _thread.get_ident


def emit(kind: str, **fields: Any) -> None:
    """Append one record, in a single ``write()`` so records from many processes never mix."""
    global capped
    if fd < 0:
        return
    fields["k"] = kind
    fields["pid"] = getpid()
    fields["t"] = _clock()
    fields["tid"] = get_ident()
    data = (json.dumps(fields, ensure_ascii=False, default=repr) + "\n").encode("utf-8", "replace")
    try:
        if _fstat(fd).st_size + len(data) > _RECORD_CAP:
            if not capped:
                capped = True
                _write(fd, json.dumps({"k": CAPPED, "pid": getpid()}).encode() + b"\n")
            return
        _write(fd, data)
    except OSError:
        pass


def short(value: Any) -> str:
    """A bounded ``repr`` of a queue item, for the record."""
    text = repr(value)
    return text if len(text) <= _ITEM_CAP else f"{text[:_ITEM_CAP]}...({len(text)} chars)"


def open_dump_file() -> None:
    global _dump_file
    try:
        _dump_file = open(os.path.join(RUN_DIR, "dumps", f"{getpid()}.txt"), "w")  # noqa: SIM115
        if not dump_timer.arm(_dump_file) and hasattr(signal, "SIGUSR1"):
            faulthandler.register(signal.SIGUSR1, file=_dump_file, all_threads=True, chain=False)
    except (OSError, ValueError, RuntimeError):
        _dump_file = None


def load_config() -> None:
    global config, levers
    try:
        with open(os.path.join(RUN_DIR, "config.json"), encoding="utf-8") as file:
            config = json.load(file)
        levers = Levers.from_config(config.get("levers") or {})
    except (OSError, ValueError, TypeError):
        config, levers = {}, Levers()
