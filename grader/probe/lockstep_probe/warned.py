"""Warnings as the records see them: every warning shown, in any thread, also outside the
harness's calls."""

from __future__ import annotations

from . import records
from .protocol import WARNING
from .records import emit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def watch() -> None:
    """Record every warning shown outside the harness's own ``catch_warnings`` (which records
    those raised during its calls), in any thread: a thread that outlives its call still
    tells. DeprecationWarnings of the submission's module are always shown."""
    import re
    import warnings

    module = records.config.get("module")
    if module:
        pattern = f"({re.escape(module)}|__main__)$"
        warnings.filterwarnings("always", category=DeprecationWarning, module=pattern)
    original = warnings._showwarnmsg  # type: ignore[attr-defined]
    plain = warnings._showwarnmsg_impl  # type: ignore[attr-defined]

    def _showwarnmsg(msg: Any) -> None:
        if warnings._showwarnmsg_impl is plain:  # type: ignore[attr-defined]
            emit(
                WARNING,
                category=msg.category.__name__,
                message=str(msg.message),
                file=msg.filename,
                line=msg.lineno,
            )
        original(msg)

    warnings._showwarnmsg = _showwarnmsg  # type: ignore[attr-defined]
