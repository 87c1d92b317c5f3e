"""The grader's delays, levers that make a race show on every run: a slowed producer or
consumer (``slow_down``), a pause right after a ``multiprocessing`` lock is released
(``pause_after_release``) and one right after a thread takes a lock (``pause_after_acquire``),
each for the roles the run's ``Levers`` name. A thread's role is the contract function it
entered first; a thread that entered none (a library's helper) takes its process's."""

from __future__ import annotations

import time

from . import records, roles


def _current_role() -> str:
    return roles.role() or roles.process_role() or ""


def _pause(delays: dict[str, float]) -> None:
    if delays:
        delay = delays.get(_current_role())
        if delay:
            time.sleep(float(delay))


def slow_down() -> None:
    _pause(records.levers.slow)


def pause_after_release() -> None:
    _pause(records.levers.pause_after_release)


def pause_after_acquire() -> None:
    _pause(records.levers.pause_after_acquire)
