"""The grader's delays, levers that make a race show on every run: a slowed producer or
consumer (``slow``), a pause right after a ``multiprocessing`` lock is released
(``pause_after_release``) and one right after a thread takes a lock (``pause_after_acquire``),
each for the targets the run's config names."""

from __future__ import annotations

import time

from . import records
from .records import get_ident

role: str | None = None
"""The target this process runs, set when a ``multiprocessing`` child starts."""
thread_roles: dict[int, str] = {}
"""The target each running thread was started with, by ident (for the per-target levers)."""


def slow_down() -> None:
    delay = records.config.get("slow", {}).get(role or "")
    if delay:
        time.sleep(float(delay))


def pause_after_release() -> None:
    delay = records.config.get("pause_after_release", {}).get(role or "")
    if delay:
        time.sleep(float(delay))


def pause_after_acquire() -> None:
    delay = records.config.get("pause_after_acquire", {}).get(thread_roles.get(get_ident(), ""))
    if delay:
        time.sleep(float(delay))
